package manager

import (
	"strings"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/internal/triggerspec"
	"github.com/openscm/scm/windows"
)

// QueryServiceConfig2 returns one SERVICE_CONFIG_* level of a service's
// optional configuration.
func (m *Manager) QueryServiceConfig2(c Caller, id uint64, level uint32) (*pb.ServiceConfig2, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.need(c, id, serviceHandle, windows.SERVICE_QUERY_CONFIG)
	if err != nil {
		return nil, err
	}
	cfg := h.svc.cfg
	r := &pb.ServiceConfig2{InfoLevel: level, BytesNeeded: sizeDWORDInfo}
	switch level {
	case windows.SERVICE_CONFIG_DESCRIPTION:
		r.Description = &cfg.Description
		r.BytesNeeded = sizeServiceDescription
		if cfg.Description != "" {
			r.BytesNeeded += wstr(cfg.Description)
		}
	case windows.SERVICE_CONFIG_FAILURE_ACTIONS:
		fa := &pb.FailureActions{ResetPeriod: cfg.ResetPeriod, RebootMsg: &cfg.RebootMessage, Command: &cfg.FailureCommand}
		r.BytesNeeded = sizeServiceFailureActions
		for _, a := range cfg.Actions {
			fa.Actions = append(fa.Actions, &pb.ScAction{Type: a.Type, Delay: a.Delay})
			r.BytesNeeded += sizeSCAction
		}
		if len(cfg.Actions) == 0 {
			fa.ResetPeriod = 0
		}
		if cfg.RebootMessage != "" {
			r.BytesNeeded += wstr(cfg.RebootMessage)
		}
		if cfg.FailureCommand != "" {
			r.BytesNeeded += wstr(cfg.FailureCommand)
		}
		r.FailureActions = fa
	case windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO:
		if cfg.DelayedAutostart {
			r.DelayedAutoStart = 1
		}
	case windows.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG:
		r.FailureActionsOnNonCrashFailures = cfg.FailureActionsOnNonCrashFailures
	case windows.SERVICE_CONFIG_SERVICE_SID_INFO:
		r.ServiceSidType = cfg.ServiceSidType
	case windows.SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO:
		r.RequiredPrivileges = cfg.RequiredPrivileges
		r.BytesNeeded = sizeRequiredPrivileges + multiSz(cfg.RequiredPrivileges)
	case windows.SERVICE_CONFIG_PRESHUTDOWN_INFO:
		r.PreshutdownTimeout = cfg.PreshutdownTimeout
	case windows.SERVICE_CONFIG_TRIGGER_INFO:
		r.BytesNeeded = 24 // SERVICE_TRIGGER_INFO
		for _, t := range cfg.Triggers {
			pt := &pb.Trigger{Type: t.Type, Action: t.Action, Subtype: t.SubType}
			r.BytesNeeded += 32 + 16 // SERVICE_TRIGGER and its GUID
			for _, d := range t.Data {
				pt.Data = append(pt.Data, &pb.TriggerData{Type: d.Type, Data: d.Data})
				r.BytesNeeded += 16 + uint32(len(d.Data))*2 + 4
			}
			r.Triggers = append(r.Triggers, pt)
		}
	case windows.SERVICE_CONFIG_PREFERRED_NODE:
		// This SCM keeps no NUMA node preference, as Windows on a machine
		// with a single node.
		return nil, windows.ERROR_NOT_SUPPORTED
	default:
		return nil, windows.ERROR_INVALID_LEVEL
	}
	return r, nil
}

// ChangeServiceConfig2 changes one SERVICE_CONFIG_* level.
func (m *Manager) ChangeServiceConfig2(c Caller, id uint64, in *pb.ServiceConfig2) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.need(c, id, serviceHandle, windows.SERVICE_CHANGE_CONFIG)
	if err != nil {
		return err
	}
	s := h.svc
	if s.deleted {
		return windows.ERROR_SERVICE_MARKED_FOR_DELETE
	}
	if in == nil {
		return windows.ERROR_INVALID_PARAMETER
	}
	cfg := *s.cfg
	switch in.InfoLevel {
	case windows.SERVICE_CONFIG_DESCRIPTION:
		if in.Description == nil {
			return nil // a NULL description changes nothing
		}
		cfg.Description = *in.Description
	case windows.SERVICE_CONFIG_FAILURE_ACTIONS:
		if err := applyFailureActions(&cfg, in.FailureActions, h, c); err != nil {
			return err
		}
	case windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO:
		// Accepted on any service, honoured for auto-start ones only.
		if in.DelayedAutoStart > 1 {
			return windows.ERROR_INVALID_PARAMETER
		}
		cfg.DelayedAutostart = in.DelayedAutoStart == 1
	case windows.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG:
		cfg.FailureActionsOnNonCrashFailures = in.FailureActionsOnNonCrashFailures
	case windows.SERVICE_CONFIG_SERVICE_SID_INFO:
		switch in.ServiceSidType {
		case windows.SERVICE_SID_TYPE_NONE, windows.SERVICE_SID_TYPE_UNRESTRICTED, windows.SERVICE_SID_TYPE_RESTRICTED:
		default:
			return windows.ERROR_INVALID_PARAMETER
		}
		cfg.ServiceSidType = in.ServiceSidType
	case windows.SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO:
		if err := services.ValidatePrivileges(in.RequiredPrivileges); err != nil {
			return err
		}
		cfg.RequiredPrivileges = in.RequiredPrivileges
	case windows.SERVICE_CONFIG_PRESHUTDOWN_INFO:
		cfg.PreshutdownTimeout = in.PreshutdownTimeout
	case windows.SERVICE_CONFIG_TRIGGER_INFO:
		var ts []triggerspec.Trigger
		for _, t := range in.Triggers {
			st := triggerspec.Trigger{Type: t.Type, Action: t.Action, SubType: strings.ToLower(strings.Trim(t.Subtype, "{}"))}
			for _, d := range t.Data {
				st.Data = append(st.Data, triggerspec.TriggerData{Type: d.Type, Data: d.Data})
			}
			ts = append(ts, st)
		}
		if err := triggerspec.ValidateTriggers(ts); err != nil {
			return err
		}
		cfg.Triggers = ts
		defer func() { go m.syncActivation(cfg.Name) }()
	case windows.SERVICE_CONFIG_PREFERRED_NODE:
		return windows.ERROR_NOT_SUPPORTED
	default:
		return windows.ERROR_INVALID_LEVEL
	}
	return m.save(s, &cfg)
}

// applyFailureActions follows SERVICE_FAILURE_ACTIONS' rules: a NULL string
// leaves it, an empty one deletes it; NULL actions leave actions and reset
// period alone, an empty list deletes both. A restart action needs
// SERVICE_START on the handle, a reboot action an administrator (who holds
// SeShutdownPrivilege).
func applyFailureActions(cfg *services.Config, fa *pb.FailureActions, h *handle, c Caller) error {
	if fa == nil {
		return nil
	}
	if fa.RebootMsg != nil {
		cfg.RebootMessage = *fa.RebootMsg
	}
	if fa.Command != nil {
		cfg.FailureCommand = *fa.Command
	}
	if !fa.ChangeActions {
		return nil
	}
	var actions []services.Action
	for _, a := range fa.Actions {
		switch a.Type {
		case windows.SC_ACTION_NONE, windows.SC_ACTION_RUN_COMMAND:
		case windows.SC_ACTION_RESTART:
			if h.access&windows.SERVICE_START == 0 {
				return windows.ERROR_ACCESS_DENIED
			}
		case windows.SC_ACTION_REBOOT:
			if !c.Token.IsAdmin() {
				return windows.ERROR_ACCESS_DENIED
			}
		default:
			return windows.ERROR_INVALID_PARAMETER
		}
		actions = append(actions, services.Action{Type: a.Type, Delay: a.Delay})
	}
	cfg.Actions = actions
	cfg.ResetPeriod = fa.ResetPeriod
	if len(actions) == 0 {
		cfg.ResetPeriod = 0
	}
	return nil
}
