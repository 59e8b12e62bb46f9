package windows_test

import (
	"slices"
	"testing"
	"unsafe"

	"github.com/openscm/scm/internal/scmtest"
	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc/mgr"
)

// The raw calls fill the caller's buffer as Windows does: a first call
// with too small a buffer says how large one must be, a second fills the
// structure and the strings it points to.
func TestRawServiceCalls(t *testing.T) {
	scmtest.Start(t)
	u := windows.StringToUTF16Ptr
	scm, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_ALL_ACCESS)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseServiceHandle(scm)
	deps := []uint16{'a', 0, '+', 'g', 0, 0}
	var tag uint32
	s, err := windows.CreateService(scm, u("raw"), u("Raw Service"), windows.SERVICE_ALL_ACCESS, windows.SERVICE_WIN32_OWN_PROCESS,
		windows.SERVICE_DEMAND_START, windows.SERVICE_ERROR_NORMAL, u("/bin/true --x"), u("g"), &tag, &deps[0], nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseServiceHandle(s)

	var needed uint32
	if err := windows.QueryServiceConfig(s, nil, 0, &needed); err != windows.ERROR_INSUFFICIENT_BUFFER || needed <= uint32(unsafe.Sizeof(windows.QUERY_SERVICE_CONFIG{})) {
		t.Fatalf("sizing call: %v, %d bytes", err, needed)
	}
	buf := make([]byte, needed)
	cfg := (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&buf[0]))
	if err := windows.QueryServiceConfig(s, cfg, needed, &needed); err != nil {
		t.Fatal(err)
	}
	if got := windows.UTF16PtrToString(cfg.BinaryPathName); got != "/bin/true --x" || cfg.StartType != windows.SERVICE_DEMAND_START ||
		windows.UTF16PtrToString(cfg.DisplayName) != "Raw Service" || windows.UTF16PtrToString(cfg.LoadOrderGroup) != "g" || cfg.TagId != tag {
		t.Errorf("QueryServiceConfig: path %q start %d display %q group %q tag %d/%d", got, cfg.StartType,
			windows.UTF16PtrToString(cfg.DisplayName), windows.UTF16PtrToString(cfg.LoadOrderGroup), cfg.TagId, tag)
	}
	if got := multi(cfg.Dependencies); !slices.Equal(got, []string{"a", "+g"}) {
		t.Errorf("dependencies %q", got)
	}

	desc := windows.SERVICE_DESCRIPTION{Description: u("a raw service")}
	if err := windows.ChangeServiceConfig2(s, windows.SERVICE_CONFIG_DESCRIPTION, (*byte)(unsafe.Pointer(&desc))); err != nil {
		t.Fatal(err)
	}
	actions := []windows.SC_ACTION{{Type: windows.SC_ACTION_RESTART, Delay: 1000}, {Type: windows.SC_ACTION_NONE}}
	fa := windows.SERVICE_FAILURE_ACTIONS{ResetPeriod: 60, ActionsCount: 2, Actions: &actions[0], Command: u("/bin/echo")}
	if err := windows.ChangeServiceConfig2(s, windows.SERVICE_CONFIG_FAILURE_ACTIONS, (*byte)(unsafe.Pointer(&fa))); err != nil {
		t.Fatal(err)
	}
	windows.QueryServiceConfig2(s, windows.SERVICE_CONFIG_DESCRIPTION, nil, 0, &needed)
	b2 := make([]byte, needed)
	if err := windows.QueryServiceConfig2(s, windows.SERVICE_CONFIG_DESCRIPTION, &b2[0], needed, &needed); err != nil {
		t.Fatal(err)
	}
	if got := windows.UTF16PtrToString((*windows.SERVICE_DESCRIPTION)(unsafe.Pointer(&b2[0])).Description); got != "a raw service" {
		t.Errorf("description %q", got)
	}
	windows.QueryServiceConfig2(s, windows.SERVICE_CONFIG_FAILURE_ACTIONS, nil, 0, &needed)
	b3 := make([]byte, needed)
	if err := windows.QueryServiceConfig2(s, windows.SERVICE_CONFIG_FAILURE_ACTIONS, &b3[0], needed, &needed); err != nil {
		t.Fatal(err)
	}
	got := (*windows.SERVICE_FAILURE_ACTIONS)(unsafe.Pointer(&b3[0]))
	if got.ResetPeriod != 60 || got.ActionsCount != 2 || !slices.Equal(unsafe.Slice(got.Actions, got.ActionsCount), actions) ||
		windows.UTF16PtrToString(got.Command) != "/bin/echo" {
		t.Errorf("failure actions %+v %v", got, unsafe.Slice(got.Actions, got.ActionsCount))
	}

	// Listing in a buffer that holds one entry at a time, resuming.
	var names []string
	var resume uint32
	one := make([]byte, 200)
	for {
		var n uint32
		err := windows.EnumServicesStatusEx(scm, windows.SC_ENUM_PROCESS_INFO, windows.SERVICE_WIN32, windows.SERVICE_STATE_ALL,
			&one[0], uint32(len(one)), &needed, &n, &resume, nil)
		for _, e := range unsafe.Slice((*windows.ENUM_SERVICE_STATUS_PROCESS)(unsafe.Pointer(&one[0])), n) {
			names = append(names, windows.UTF16PtrToString(e.ServiceName))
		}
		if err == nil {
			break
		}
		if err != windows.ERROR_MORE_DATA || n == 0 {
			t.Fatalf("EnumServicesStatusEx: %v, %d listed", err, n)
		}
	}
	all, err := (&mgr.Mgr{Handle: scm}).ListServices()
	if err != nil || !slices.Equal(names, all) || !slices.Contains(names, "raw") {
		t.Errorf("listed %q, mgr lists %q (%v)", names, all, err)
	}
	var inGroup uint32
	big := make([]byte, 4096)
	if err := windows.EnumServicesStatusEx(scm, windows.SC_ENUM_PROCESS_INFO, windows.SERVICE_WIN32, windows.SERVICE_STATE_ALL,
		&big[0], uint32(len(big)), &needed, &inGroup, nil, u("g")); err != nil || inGroup != 1 {
		t.Errorf("group g: %d services, %v", inGroup, err)
	}

	var lock windows.QUERY_SERVICE_LOCK_STATUS
	if err := windows.QueryServiceLockStatus(scm, &lock, uint32(unsafe.Sizeof(lock)), &needed); err != windows.ERROR_INSUFFICIENT_BUFFER {
		t.Errorf("lock status without room for its owner's name: %v", err)
	}

	ev, err := windows.RegisterEventSource(nil, u("raw"))
	if err != nil {
		t.Fatal(err)
	}
	strs := []*uint16{u("one"), u("two")}
	if err := windows.ReportEvent(ev, windows.EVENTLOG_WARNING_TYPE, 0, 7, 0, 2, 0, &strs[0], nil); err != nil {
		t.Errorf("ReportEvent: %v", err)
	}
	windows.DeregisterEventSource(ev)

	if err := windows.DeleteService(s); err != nil {
		t.Fatal(err)
	}
}

func multi(p *uint16) []string {
	var out []string
	for p != nil && *p != 0 {
		s := windows.UTF16PtrToString(p)
		out = append(out, s)
		p = (*uint16)(unsafe.Add(unsafe.Pointer(p), 2*(len(windows.StringToUTF16(s)))))
	}
	return out
}

// GetServiceKeyName and GetServiceDisplayName size, then fill.
func TestServiceNames(t *testing.T) {
	scmtest.Start(t)
	u := windows.StringToUTF16Ptr
	scm, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_ALL_ACCESS)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseServiceHandle(scm)
	s, err := windows.CreateService(scm, u("named"), u("A Named Service"), windows.SERVICE_ALL_ACCESS, windows.SERVICE_WIN32_OWN_PROCESS,
		windows.SERVICE_DEMAND_START, windows.SERVICE_ERROR_NORMAL, u("/bin/true"), nil, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.DeleteService(s)
	var n uint32
	if err := windows.GetServiceDisplayName(scm, u("named"), nil, &n); err != windows.ERROR_INSUFFICIENT_BUFFER || n != 15 {
		t.Fatalf("sizing: %v, %d", err, n)
	}
	buf := make([]uint16, n+1)
	n++
	if err := windows.GetServiceDisplayName(scm, u("named"), &buf[0], &n); err != nil || windows.UTF16ToString(buf) != "A Named Service" || n != 15 {
		t.Errorf("GetServiceDisplayName = %q, %d, %v", windows.UTF16ToString(buf), n, err)
	}
	n = uint32(len(buf))
	if err := windows.GetServiceKeyName(scm, u("A Named Service"), &buf[0], &n); err != nil || windows.UTF16ToString(buf) != "named" {
		t.Errorf("GetServiceKeyName = %q, %v", windows.UTF16ToString(buf), err)
	}
	n = uint32(len(buf))
	if err := windows.GetServiceKeyName(scm, u("no such"), &buf[0], &n); err != windows.ERROR_SERVICE_DOES_NOT_EXIST {
		t.Errorf("an unknown display name: %v", err)
	}
}
