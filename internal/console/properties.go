package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

// The Properties dialog: its General, Log On and Recovery tabs read with
// QueryServiceConfig and QueryServiceConfig2 and written with
// ChangeServiceConfig and ChangeServiceConfig2, the calls services.msc
// makes, so scmd's access checks and argument rules answer as they do for
// sc config and sc failure.

// properties is what the dialog shows of one service.
type properties struct {
	Name        string    `json:"name"`
	DisplayName string    `json:"displayName"`
	Description string    `json:"description"`
	Path        string    `json:"path"`
	StartType   string    `json:"startType"` // auto, delayed, manual, disabled, boot, system
	State       uint32    `json:"state"`
	Controls    uint32    `json:"controls"`
	ProcessID   uint32    `json:"pid"`
	Account     string    `json:"account"`
	Interactive bool      `json:"interactive"`
	Recovery    *recovery `json:"recovery"`
}

// recovery is the Recovery tab: SERVICE_FAILURE_ACTIONS and the flag
// services.msc labels "Enable actions for stops with errors".
type recovery struct {
	ResetPeriod uint32   `json:"resetPeriod"` // seconds; INFINITE never resets
	RebootMsg   string   `json:"rebootMsg"`
	Command     string   `json:"command"`
	Actions     []action `json:"actions"`
	NonCrash    bool     `json:"nonCrash"`
}

type action struct {
	Type  uint32 `json:"type"`  // SC_ACTION_NONE, _RESTART, _REBOOT, _RUN_COMMAND
	Delay uint32 `json:"delay"` // milliseconds
}

// maxActions bounds a written action list: services.msc writes three, sc
// failure a handful.
const maxActions = 64

var startTypeNames = map[uint32]string{
	windows.SERVICE_BOOT_START: "boot", windows.SERVICE_SYSTEM_START: "system", windows.SERVICE_AUTO_START: "auto",
	windows.SERVICE_DEMAND_START: "manual", windows.SERVICE_DISABLED: "disabled",
}

func (c *Console) getProperties(w http.ResponseWriter, r *http.Request) {
	h, err := c.hostOf(r)
	if err != nil {
		writeError(w, err)
		return
	}
	name := r.PathValue("name")
	s, err := client.Call(h.conn.OpenService, &pb.OpenServiceRequest{Scm: h.scm, ServiceName: name,
		DesiredAccess: windows.SERVICE_QUERY_CONFIG | windows.SERVICE_QUERY_STATUS})
	if err != nil {
		writeError(w, err)
		return
	}
	defer client.Call(h.conn.CloseServiceHandle, &pb.HandleRequest{Handle: s.Handle})
	p, err := h.properties(s.Handle)
	if err != nil {
		writeError(w, err)
		return
	}
	p.Name = name
	// The name as created, whatever case the URL used.
	k, err := client.Call(h.conn.GetServiceKeyName, &pb.GetNameRequest{Scm: h.scm, Name: p.DisplayName, BufChars: 1024})
	if err == nil && k.Win32Error == 0 && strings.EqualFold(k.Name, name) {
		p.Name = k.Name
	}
	writeJSON(w, p)
}

func (h *host) properties(handle uint64) (*properties, error) {
	cfg, err := client.Call(h.conn.QueryServiceConfig, &pb.HandleRequest{Handle: handle})
	if err != nil {
		return nil, err
	}
	st, err := client.Call(h.conn.QueryServiceStatus, &pb.HandleRequest{Handle: handle})
	if err != nil {
		return nil, err
	}
	config2 := func(level uint32) (*pb.ServiceConfig2, error) {
		return client.Call(h.conn.QueryServiceConfig2, &pb.QueryServiceConfig2Request{Handle: handle, InfoLevel: level})
	}
	desc, err := config2(windows.SERVICE_CONFIG_DESCRIPTION)
	if err != nil {
		return nil, err
	}
	delayed, err := config2(windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO)
	if err != nil {
		return nil, err
	}
	fa, err := config2(windows.SERVICE_CONFIG_FAILURE_ACTIONS)
	if err != nil {
		return nil, err
	}
	flag, err := config2(windows.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG)
	if err != nil {
		return nil, err
	}
	p := &properties{
		DisplayName: cfg.DisplayName,
		Description: desc.GetDescription(),
		Path:        cfg.BinaryPathName,
		StartType:   startTypeNames[cfg.StartType],
		State:       st.CurrentState,
		Controls:    st.ControlsAccepted,
		ProcessID:   st.ProcessId,
		Account:     cfg.ServiceStartName,
		Interactive: cfg.ServiceType&windows.SERVICE_INTERACTIVE_PROCESS != 0,
		Recovery: &recovery{
			ResetPeriod: fa.FailureActions.GetResetPeriod(),
			RebootMsg:   fa.FailureActions.GetRebootMsg(),
			Command:     fa.FailureActions.GetCommand(),
			Actions:     []action{},
			NonCrash:    flag.FailureActionsOnNonCrashFailures,
		},
	}
	if cfg.StartType == windows.SERVICE_AUTO_START && delayed.DelayedAutoStart != 0 {
		p.StartType = "delayed"
	}
	for _, a := range fa.FailureActions.GetActions() {
		p.Recovery.Actions = append(p.Recovery.Actions, action{Type: a.Type, Delay: a.Delay})
	}
	return p, nil
}

// edit is what the dialog's Apply sends: only what the user changed.
type edit struct {
	DisplayName *string   `json:"displayName"`
	Description *string   `json:"description"`
	Path        *string   `json:"path"`
	StartType   *string   `json:"startType"`
	Account     *string   `json:"account"`
	Password    *string   `json:"password"`
	Interactive *bool     `json:"interactive"`
	Recovery    *recovery `json:"recovery"`
}

// maxBody bounds what a page may send in one request.
const maxBody = 64 << 10

func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(v)
	if err != nil {
		return fmt.Errorf("%w: %v", windows.ERROR_INVALID_PARAMETER, err)
	}
	return nil
}

// setProperties applies an edit with the fewest calls that express it,
// in services.msc's order: the configuration, then each config2 level.
// The first refusal ends it and says which call failed.
func (c *Console) setProperties(w http.ResponseWriter, r *http.Request) {
	h, err := c.hostOf(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var ch edit
	if err := readJSON(w, r, &ch); err != nil {
		writeError(w, err)
		return
	}
	access := uint32(windows.SERVICE_CHANGE_CONFIG | windows.SERVICE_QUERY_CONFIG)
	if ch.Recovery != nil {
		if len(ch.Recovery.Actions) > maxActions {
			writeError(w, windows.ERROR_INVALID_PARAMETER)
			return
		}
		// Windows asks for SERVICE_START to set a restart action.
		for _, a := range ch.Recovery.Actions {
			if a.Type == windows.SC_ACTION_RESTART {
				access |= windows.SERVICE_START
			}
		}
	}
	s, err := client.Call(h.conn.OpenService, &pb.OpenServiceRequest{Scm: h.scm, ServiceName: r.PathValue("name"), DesiredAccess: access})
	if err != nil {
		writeError(w, err)
		return
	}
	defer client.Call(h.conn.CloseServiceHandle, &pb.HandleRequest{Handle: s.Handle})
	if err := h.apply(s.Handle, &ch); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, struct{}{})
}

func (h *host) apply(handle uint64, ch *edit) error {
	req := &pb.ChangeServiceConfigRequest{Handle: handle, DisplayName: ch.DisplayName, BinaryPathName: ch.Path,
		ServiceStartName: ch.Account, Password: ch.Password}
	var delayed *bool
	if ch.StartType != nil {
		t, d, ok := parseStartType(*ch.StartType)
		if !ok {
			return windows.ERROR_INVALID_PARAMETER
		}
		req.StartType, delayed = &t, &d
	}
	if ch.Interactive != nil {
		cfg, err := client.Call(h.conn.QueryServiceConfig, &pb.HandleRequest{Handle: handle})
		if err != nil {
			return err
		}
		t := cfg.ServiceType &^ windows.SERVICE_INTERACTIVE_PROCESS
		if *ch.Interactive {
			t |= windows.SERVICE_INTERACTIVE_PROCESS
		}
		req.ServiceType = &t
	}
	if req.DisplayName != nil || req.BinaryPathName != nil || req.StartType != nil || req.ServiceStartName != nil ||
		req.Password != nil || req.ServiceType != nil {
		if _, err := client.Call(h.conn.ChangeServiceConfig, req); err != nil {
			return err
		}
	}
	var levels []*pb.ServiceConfig2
	if ch.Description != nil {
		levels = append(levels, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_DESCRIPTION, Description: ch.Description})
	}
	if delayed != nil && *req.StartType == windows.SERVICE_AUTO_START {
		levels = append(levels, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, DelayedAutoStart: boolDWORD(*delayed)})
	}
	if rc := ch.Recovery; rc != nil {
		fa := &pb.FailureActions{ResetPeriod: rc.ResetPeriod, RebootMsg: &rc.RebootMsg, Command: &rc.Command, ChangeActions: true}
		for _, a := range rc.Actions {
			fa.Actions = append(fa.Actions, &pb.ScAction{Type: a.Type, Delay: a.Delay})
		}
		levels = append(levels,
			&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_FAILURE_ACTIONS, FailureActions: fa},
			&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, FailureActionsOnNonCrashFailures: rc.NonCrash})
	}
	for _, info := range levels {
		if _, err := client.Call(h.conn.ChangeServiceConfig2, &pb.ChangeServiceConfig2Request{Handle: handle, Info: info}); err != nil {
			return err
		}
	}
	return nil
}

// parseStartType reads the dialog's startup type: the SERVICE_*_START
// value and whether an automatic start is delayed.
func parseStartType(s string) (start uint32, delayed, ok bool) {
	if s == "delayed" {
		return windows.SERVICE_AUTO_START, true, true
	}
	for t, name := range startTypeNames {
		if name == s {
			return t, false, true
		}
	}
	return 0, false, false
}

func boolDWORD(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// newService is the console's New Service form: CreateService's
// arguments a user fills in.
type newService struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	Path        string `json:"path"`
	StartType   string `json:"startType"`
	Account     string `json:"account"`
	Password    string `json:"password"`
}

// createService is CreateService with SC_MANAGER_CREATE_SERVICE, on an
// SCM handle opened for it, as sc create does.
func (c *Console) createService(w http.ResponseWriter, r *http.Request) {
	h, err := c.hostOf(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var n newService
	if err := readJSON(w, r, &n); err != nil {
		writeError(w, err)
		return
	}
	start, delayed, ok := parseStartType(n.StartType)
	if !ok {
		writeError(w, windows.ERROR_INVALID_PARAMETER)
		return
	}
	scm, err := client.Call(h.conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CREATE_SERVICE})
	if err != nil {
		writeError(w, err)
		return
	}
	defer client.Call(h.conn.CloseServiceHandle, &pb.HandleRequest{Handle: scm.Handle})
	req := &pb.CreateServiceRequest{Scm: scm.Handle, ServiceName: n.Name, DisplayName: n.DisplayName,
		DesiredAccess: windows.SERVICE_CHANGE_CONFIG, ServiceType: windows.SERVICE_WIN32_OWN_PROCESS,
		StartType: start, ErrorControl: windows.SERVICE_ERROR_NORMAL, BinaryPathName: n.Path,
		ServiceStartName: n.Account, Password: n.Password}
	s, err := client.Call(h.conn.CreateService, req)
	if err != nil {
		writeError(w, err)
		return
	}
	defer client.Call(h.conn.CloseServiceHandle, &pb.HandleRequest{Handle: s.Handle})
	// The service exists now; what follows is its description and delay,
	// and a refusal of those is reported without undoing the creation.
	ch := edit{}
	if n.Description != "" {
		ch.Description = &n.Description
	}
	if delayed {
		ch.StartType = &n.StartType
	}
	if ch.Description != nil || ch.StartType != nil {
		if err := h.apply(s.Handle, &ch); err != nil {
			writeError(w, err)
			return
		}
	}
	writeJSON(w, struct{}{})
}

// deleteService is DeleteService: the service goes once its last handle
// closes and it has stopped, and the list hears of it on the stream.
func (c *Console) deleteService(w http.ResponseWriter, r *http.Request) {
	h, err := c.hostOf(r)
	if err != nil {
		writeError(w, err)
		return
	}
	s, err := client.Call(h.conn.OpenService, &pb.OpenServiceRequest{Scm: h.scm, ServiceName: r.PathValue("name"), DesiredAccess: windows.DELETE})
	if err != nil {
		writeError(w, err)
		return
	}
	defer client.Call(h.conn.CloseServiceHandle, &pb.HandleRequest{Handle: s.Handle})
	if _, err := client.Call(h.conn.DeleteService, &pb.HandleRequest{Handle: s.Handle}); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, struct{}{})
}
