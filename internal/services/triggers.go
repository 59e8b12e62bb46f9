package services

import (
	"strconv"

	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/triggerspec"
	"github.com/openscm/scm/windows"
)

// Triggers are stored as Windows stores them: TriggerInfo\0, \1, ... each
// with Type, Action, GUID (16 bytes), and Data<n>/DataType<n> per item.
func loadTriggers(k *registry.Key) []triggerspec.Trigger {
	ti, err := k.SubKey("TriggerInfo")
	if err != nil {
		return nil
	}
	var out []triggerspec.Trigger
	for i := 0; ; i++ {
		tk, err := ti.SubKey(strconv.Itoa(i))
		if err != nil {
			return out
		}
		var t triggerspec.Trigger
		if v, err := tk.Value("Type"); err == nil {
			t.Type = v.Uint32()
		}
		if v, err := tk.Value("Action"); err == nil {
			t.Action = v.Uint32()
		}
		if v, err := tk.Value("GUID"); err == nil {
			t.SubType = triggerspec.FormatGUID(v.Data)
		}
		for j := 0; ; j++ {
			v, err := tk.Value("Data" + strconv.Itoa(j))
			if err != nil {
				break
			}
			typ := uint32(windows.SERVICE_TRIGGER_DATA_TYPE_BINARY)
			if tv, err := tk.Value("DataType" + strconv.Itoa(j)); err == nil {
				typ = tv.Uint32()
			}
			t.Data = append(t.Data, triggerspec.TriggerData{Type: typ, Data: v.Data})
		}
		out = append(out, t)
	}
}

func saveTriggers(k *registry.Key, ts []triggerspec.Trigger) error {
	if err := k.DeleteSubKey("TriggerInfo"); err != nil && err != windows.ERROR_FILE_NOT_FOUND {
		return err
	}
	if len(ts) == 0 {
		return nil
	}
	ti, err := k.CreateSubKey("TriggerInfo")
	if err != nil {
		return err
	}
	for i, t := range ts {
		tk, err := ti.CreateSubKey(strconv.Itoa(i))
		if err != nil {
			return err
		}
		g, _ := triggerspec.ParseGUID(t.SubType)
		vals := []registry.Value{registry.DWordValue("Type", t.Type), registry.DWordValue("Action", t.Action), registry.BinaryValue("GUID", g[:])}
		for j, d := range t.Data {
			data := registry.BinaryValue("Data"+strconv.Itoa(j), d.Data)
			if d.Type == windows.SERVICE_TRIGGER_DATA_TYPE_STRING {
				data = registry.Value{Name: "Data" + strconv.Itoa(j), Type: registry.MULTI_SZ, Data: d.Data}
			}
			vals = append(vals, data, registry.DWordValue("DataType"+strconv.Itoa(j), d.Type))
		}
		for _, v := range vals {
			if err := tk.SetValue(v); err != nil {
				return err
			}
		}
	}
	return nil
}
