package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/regdata"
	"github.com/openscm/scm/internal/winerror"
	"github.com/openscm/scm/windows"
)

// service is a row of services.msc's list.
type service struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	State       uint32 `json:"state"`
	Controls    uint32 `json:"controls"`
	ProcessID   uint32 `json:"pid"`
	StartupType string `json:"startupType"`
	LogOnAs     string `json:"logOnAs"`
}

func openSCManager() *pb.OpenSCManagerRequest {
	return &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT | windows.SC_MANAGER_ENUMERATE_SERVICE}
}

// listServices is the list, as one EnumServicesStatusEx and one read of
// the Services key: two calls however many services there are.
func (c *Console) listServices(w http.ResponseWriter, r *http.Request) {
	h, err := c.hostOf(r)
	if err != nil {
		writeError(w, err)
		return
	}
	list, err := h.enum()
	if err != nil {
		writeError(w, err)
		return
	}
	keys := map[string]*pb.RegKey{}
	if k, err := client.Call(h.conn.RegQueryKey, &pb.RegKeyRequest{Path: `HKLM\SYSTEM\CurrentControlSet\Services`, Recursive: true}); err == nil {
		for _, sub := range k.Subkeys {
			keys[strings.ToLower(lastElem(sub.Path))] = sub
		}
	}
	rows := make([]service, 0, len(list))
	for _, e := range list {
		row := service{Name: e.ServiceName, DisplayName: e.DisplayName}
		if st := e.Status; st != nil {
			row.State, row.Controls, row.ProcessID = st.CurrentState, st.ControlsAccepted, st.ProcessId
		}
		describe(&row, keys[strings.ToLower(e.ServiceName)])
		rows = append(rows, row)
	}
	writeJSON(w, rows)
}

// getService is one row, for a service the stream says was created.
func (c *Console) getService(w http.ResponseWriter, r *http.Request) {
	h, err := c.hostOf(r)
	if err != nil {
		writeError(w, err)
		return
	}
	s, err := client.Call(h.conn.OpenService, &pb.OpenServiceRequest{Scm: h.scm, ServiceName: r.PathValue("name"), DesiredAccess: windows.SERVICE_QUERY_STATUS})
	if err != nil {
		writeError(w, err)
		return
	}
	defer client.Call(h.conn.CloseServiceHandle, &pb.HandleRequest{Handle: s.Handle})
	st, err := client.Call(h.conn.QueryServiceStatus, &pb.HandleRequest{Handle: s.Handle})
	if err != nil {
		writeError(w, err)
		return
	}
	row := service{Name: r.PathValue("name"), State: st.CurrentState, Controls: st.ControlsAccepted, ProcessID: st.ProcessId}
	k, err := client.Call(h.conn.RegQueryKey, &pb.RegKeyRequest{Path: `HKLM\SYSTEM\CurrentControlSet\Services\` + r.PathValue("name"), Recursive: true})
	switch {
	case err == nil:
		row.Name = lastElem(k.Path)
		describe(&row, k)
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		// A caller the registry is closed to (a network user): what
		// its rights on the service let it read, as services.msc reads.
		h.describeByAPI(&row)
	default:
		writeError(w, err)
		return
	}
	writeJSON(w, row)
}

// describeByAPI fills in a row with QueryServiceConfig and
// QueryServiceConfig2, as far as the caller may query the service's
// configuration; the row keeps its status alone otherwise.
func (h *host) describeByAPI(row *service) {
	s, err := client.Call(h.conn.OpenService, &pb.OpenServiceRequest{Scm: h.scm, ServiceName: row.Name, DesiredAccess: windows.SERVICE_QUERY_CONFIG})
	if err != nil {
		return
	}
	defer client.Call(h.conn.CloseServiceHandle, &pb.HandleRequest{Handle: s.Handle})
	cfg, err := client.Call(h.conn.QueryServiceConfig, &pb.HandleRequest{Handle: s.Handle})
	if err != nil {
		return
	}
	config2 := func(level uint32) *pb.ServiceConfig2 {
		c, _ := client.Call(h.conn.QueryServiceConfig2, &pb.QueryServiceConfig2Request{Handle: s.Handle, InfoLevel: level})
		return c
	}
	row.DisplayName = cfg.DisplayName
	row.Description = config2(windows.SERVICE_CONFIG_DESCRIPTION).GetDescription()
	delayed := config2(windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO).GetDelayedAutoStart() != 0
	triggered := len(config2(windows.SERVICE_CONFIG_TRIGGER_INFO).GetTriggers()) > 0
	row.StartupType = startupType(cfg.StartType, delayed, triggered)
	row.LogOnAs = logOnAs(cfg.ServiceStartName)
}

// enum is EnumServicesStatusEx to the end: a buffer that holds part of the
// list gets ERROR_MORE_DATA, the size of the rest, and a resume handle.
func (h *host) enum() ([]*pb.ServiceEntry, error) {
	req := &pb.EnumServicesStatusRequest{Scm: h.scm, ServiceType: windows.SERVICE_WIN32, ServiceState: windows.SERVICE_STATE_ALL, Ex: true, BufSize: 1 << 20}
	var all []*pb.ServiceEntry
	for {
		r, err := client.Call(h.conn.EnumServicesStatus, req)
		if err != nil {
			return nil, err
		}
		all = append(all, r.Services...)
		if r.Win32Error == 0 {
			return all, nil
		}
		// Each answer must move on: a server that does not (another
		// machine's, misbehaving) would have this loop forever.
		if windows.Errno(r.Win32Error) != windows.ERROR_MORE_DATA || (len(r.Services) == 0 && r.BytesNeeded <= req.BufSize) ||
			(len(r.Services) > 0 && r.ResumeHandle <= req.ResumeHandle) {
			return nil, windows.Errno(r.Win32Error)
		}
		req.ResumeHandle = r.ResumeHandle
		req.BufSize = max(req.BufSize, r.BytesNeeded)
	}
}

// describe fills in what the service's key says: its description, its
// startup type as services.msc words it, and whom it logs on as.
func describe(row *service, k *pb.RegKey) {
	if k == nil {
		return
	}
	var start, delayed uint32 = windows.SERVICE_DEMAND_START, 0
	account := "LocalSystem"
	for _, v := range k.Values {
		switch strings.ToLower(v.Name) {
		case "description":
			row.Description = regString(v.Data)
		case "displayname":
			if row.DisplayName == "" {
				row.DisplayName = regString(v.Data)
			}
		case "start":
			start = regDWORD(v.Data)
		case "delayedautostart":
			delayed = regDWORD(v.Data)
		case "objectname":
			account = regString(v.Data)
		}
	}
	triggered := false
	for _, sub := range k.Subkeys {
		if strings.EqualFold(lastElem(sub.Path), "TriggerInfo") && len(sub.Subkeys) > 0 {
			triggered = true
		}
	}
	row.StartupType = startupType(start, delayed == 1, triggered)
	row.LogOnAs = logOnAs(account)
}

func startupType(start uint32, delayed, triggered bool) string {
	var s string
	switch start {
	case windows.SERVICE_BOOT_START:
		s = "Boot"
	case windows.SERVICE_SYSTEM_START:
		s = "System"
	case windows.SERVICE_AUTO_START:
		s = "Automatic"
	case windows.SERVICE_DISABLED:
		return "Disabled"
	default:
		s = "Manual"
	}
	var notes []string
	if delayed && start == windows.SERVICE_AUTO_START {
		notes = append(notes, "Delayed Start")
	}
	if triggered {
		notes = append(notes, "Trigger Start")
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

func logOnAs(account string) string {
	switch strings.ToLower(account) {
	case "", "localsystem", ".\\localsystem":
		return "Local System"
	case `nt authority\localservice`, "localservice":
		return "Local Service"
	case `nt authority\networkservice`, "networkservice":
		return "Network Service"
	}
	return account
}

// The registry's values come in the store's form (internal/regdata).
func regString(b []byte) string { return regdata.Value{Type: regdata.SZ, Data: b}.String() }

func regDWORD(b []byte) uint32 { return regdata.Value{Type: regdata.DWORD, Data: b}.Uint32() }

func lastElem(path string) string { return path[strings.LastIndexByte(path, '\\')+1:] }

// control is a button of the toolbar: start, stop, pause, resume, restart.
// It returns once the SCM has taken the request; the page follows the
// service's progress on the stream.
func (c *Console) control(w http.ResponseWriter, r *http.Request) {
	h, err := c.hostOf(r)
	if err != nil {
		writeError(w, err)
		return
	}
	name, verb := r.PathValue("name"), r.PathValue("verb")
	access, ok := map[string]uint32{
		"start":   windows.SERVICE_START,
		"stop":    windows.SERVICE_STOP,
		"pause":   windows.SERVICE_PAUSE_CONTINUE,
		"resume":  windows.SERVICE_PAUSE_CONTINUE,
		"restart": windows.SERVICE_STOP | windows.SERVICE_START | windows.SERVICE_QUERY_STATUS,
	}[verb]
	if !ok {
		http.NotFound(w, r)
		return
	}
	// Start may carry the General tab's start parameters; stop, the
	// user's yes to services.msc's "Stop Other Services", after which the
	// running dependents stop first, in the order the SCM gives.
	var params struct {
		Args       []string `json:"args"`
		Dependents bool     `json:"dependents"`
	}
	if r.ContentLength != 0 {
		if err := readJSON(w, r, &params); err != nil {
			writeError(w, err)
			return
		}
	}
	if verb == "stop" && params.Dependents {
		access |= windows.SERVICE_ENUMERATE_DEPENDENTS
	}
	s, err := client.Call(h.conn.OpenService, &pb.OpenServiceRequest{Scm: h.scm, ServiceName: name, DesiredAccess: access})
	if err != nil {
		writeError(w, err)
		return
	}
	defer client.Call(h.conn.CloseServiceHandle, &pb.HandleRequest{Handle: s.Handle})
	switch verb {
	case "start":
		_, err = client.Call(h.conn.StartService, &pb.StartServiceRequest{Handle: s.Handle, Args: params.Args})
	case "stop":
		if params.Dependents {
			err = h.stopDependents(s.Handle)
		}
		if err == nil {
			err = h.controlService(s.Handle, windows.SERVICE_CONTROL_STOP)
		}
	case "pause":
		err = h.controlService(s.Handle, windows.SERVICE_CONTROL_PAUSE)
	case "resume":
		err = h.controlService(s.Handle, windows.SERVICE_CONTROL_CONTINUE)
	case "restart":
		err = h.restart(s.Handle)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, struct{}{})
}

// activeDependents lists the running services that depend on a service,
// in the order they are to be stopped (EnumDependentServices' order).
func (h *host) activeDependents(handle uint64) ([]*pb.ServiceEntry, error) {
	return h.dependentServices(handle, windows.SERVICE_ACTIVE)
}

// dependentServices is EnumDependentServices, sized as it asks.
func (h *host) dependentServices(handle uint64, state uint32) ([]*pb.ServiceEntry, error) {
	req := &pb.EnumDependentServicesRequest{Handle: handle, ServiceState: state, BufSize: 64 << 10}
	for {
		r, err := client.Call(h.conn.EnumDependentServices, req)
		if err != nil {
			return nil, err
		}
		if r.Win32Error == 0 {
			return r.Services, nil
		}
		if windows.Errno(r.Win32Error) != windows.ERROR_MORE_DATA || r.BytesNeeded <= req.BufSize {
			return nil, windows.Errno(r.Win32Error)
		}
		req.BufSize = r.BytesNeeded
	}
}

// stopDependents stops each running dependent and waits for it to stop.
func (h *host) stopDependents(handle uint64) error {
	deps, err := h.activeDependents(handle)
	if err != nil {
		return err
	}
	for _, d := range deps {
		s, err := client.Call(h.conn.OpenService, &pb.OpenServiceRequest{Scm: h.scm, ServiceName: d.ServiceName,
			DesiredAccess: windows.SERVICE_STOP | windows.SERVICE_QUERY_STATUS})
		if err != nil {
			return err
		}
		err = h.controlService(s.Handle, windows.SERVICE_CONTROL_STOP)
		if err == nil || errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
			err = h.waitStopped(s.Handle)
		}
		client.Call(h.conn.CloseServiceHandle, &pb.HandleRequest{Handle: s.Handle})
		if err != nil {
			return err
		}
	}
	return nil
}

// dependents answers the page's question before it asks the user: which
// running services would stop with this one.
func (c *Console) dependents(w http.ResponseWriter, r *http.Request) {
	h, err := c.hostOf(r)
	if err != nil {
		writeError(w, err)
		return
	}
	s, err := client.Call(h.conn.OpenService, &pb.OpenServiceRequest{Scm: h.scm, ServiceName: r.PathValue("name"), DesiredAccess: windows.SERVICE_ENUMERATE_DEPENDENTS})
	if err != nil {
		writeError(w, err)
		return
	}
	defer client.Call(h.conn.CloseServiceHandle, &pb.HandleRequest{Handle: s.Handle})
	deps, err := h.activeDependents(s.Handle)
	if err != nil {
		writeError(w, err)
		return
	}
	out := []map[string]string{}
	for _, d := range deps {
		out = append(out, map[string]string{"name": d.ServiceName, "displayName": d.DisplayName})
	}
	writeJSON(w, out)
}

// controlService is ControlService; a refusal comes as the reply's code,
// with the status the service had (1051, 1052, 1061 ...).
func (h *host) controlService(handle uint64, code uint32) error {
	r, err := client.Call(h.conn.ControlService, &pb.ControlServiceRequest{Handle: handle, Control: code})
	if err != nil {
		return err
	}
	if r.Win32Error != 0 {
		return windows.Errno(r.Win32Error)
	}
	return nil
}

// restart is services.msc's Restart: stop, wait for STOPPED, start.
func (h *host) restart(handle uint64) error {
	if err := h.controlService(handle, windows.SERVICE_CONTROL_STOP); err != nil && !errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
		return err
	}
	if err := h.waitStopped(handle); err != nil {
		return err
	}
	_, err := client.Call(h.conn.StartService, &pb.StartServiceRequest{Handle: handle})
	return err
}

// waitStopped waits for a service to reach STOPPED, as long as it makes
// progress (its state or checkpoint moves within a minute).
func (h *host) waitStopped(handle uint64) error {
	last, err := client.Call(h.conn.WaitServiceStatus, &pb.WaitServiceStatusRequest{Handle: handle})
	for err == nil && last.Status.CurrentState != windows.SERVICE_STOPPED {
		var n *pb.ServiceNotification
		n, err = client.Call(h.conn.WaitServiceStatus, &pb.WaitServiceStatusRequest{Handle: handle,
			State: last.Status.CurrentState, CheckPoint: last.Status.CheckPoint, TimeoutMs: 60000})
		if err == nil && n.Status.CurrentState == last.Status.CurrentState && n.Status.CheckPoint == last.Status.CheckPoint {
			return windows.ERROR_SERVICE_REQUEST_TIMEOUT
		}
		last = n
	}
	return err
}

// session tells the page its CSRF token and which machine it shows.
func (c *Console) session(w http.ResponseWriter, r *http.Request) {
	csrf, _ := c.auth.session(r)
	writeJSON(w, map[string]string{"csrf": csrf, "host": c.opts.Host})
}

// apiError is a failed call as the page shows it: Windows' code and text.
type apiError struct {
	Code uint32 `json:"code"`
	Text string `json:"text"`
}

func writeError(w http.ResponseWriter, err error) {
	var code syscall.Errno
	if !errors.As(client.Errno(err), &code) {
		code = syscall.Errno(windows.RPC_S_SERVER_UNAVAILABLE)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusConflict)
	json.NewEncoder(w).Encode(map[string]apiError{"error": {Code: uint32(code), Text: winerror.Text(uint32(code))}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}
