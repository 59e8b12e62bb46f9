package manager

import (
	"sort"
	"strconv"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/internal/sessions"
	"github.com/openscm/scm/windows"
)

// Window stations, as Windows gives them to processes: a login session's
// processes share its interactive window station, WinSta0, whose input
// desktop is the session's; a service gets a non-interactive station of
// its account in session 0 (Service-0x0-3e7$ for LocalSystem), unless it
// is an interactive service and NoInteractiveServices is 0, when it gets
// session 0's WinSta0, visible.

// windowsKey holds NoInteractiveServices.
const windowsKey = `HKLM\SYSTEM\CurrentControlSet\Control\Windows`

// interactiveServicesAllowed reads NoInteractiveServices: 1 (the default)
// makes SERVICE_INTERACTIVE_PROCESS do nothing.
func (m *Manager) interactiveServicesAllowed() bool {
	allowed := false
	m.store.View(func(tx *registry.Tx) error {
		if k, err := tx.OpenKey(windowsKey); err == nil {
			if v, err := k.Value("NoInteractiveServices"); err == nil && v.Type == registry.DWORD {
				allowed = v.Uint32() == 0
			}
		}
		return nil
	})
	return allowed
}

// serviceStation is a service account's window station: the logon id of
// the account, as Windows names Service-0x0-3e7$ after SYSTEM's LUID.
func serviceStation(account string) string {
	switch strings.ToLower(account) {
	case `nt authority\localservice`, "localservice":
		return "Service-0x0-3e5$"
	case `nt authority\networkservice`, "networkservice":
		return "Service-0x0-3e4$"
	}
	if services.IsLocalSystem(account) {
		return "Service-0x0-3e7$"
	}
	// Another account's logon id: one per account, above the well-known
	// ones, from its name.
	h := uint32(2166136261)
	for _, b := range []byte(strings.ToLower(account)) {
		h = (h ^ uint32(b)) * 16777619
	}
	return "Service-0x0-" + strconv.FormatUint(uint64(0x10000|h&0xffff), 16) + "$"
}

// interactiveEnvironment is what an interactive service gets when
// NoInteractiveServices is 0: the console session's display and bus, as
// Windows gives it the console's desktop.
func (m *Manager) interactiveEnvironment(s *service) []string {
	if s.cfg.Type&windows.SERVICE_INTERACTIVE_PROCESS == 0 || !services.IsLocalSystem(s.cfg.ObjectName) || m.sessions == nil {
		return nil
	}
	if !m.interactiveServicesAllowed() {
		return nil
	}
	console, ok := m.sessions.Session(m.sessions.Console())
	if !ok {
		return nil
	}
	return sessions.DesktopEnvironment(console)
}

// hostOf is the service a process belongs to (it or an ancestor hosts
// it), and whether it is interactive there.
func (m *Manager) hostOf(pid uint32) (*service, bool) {
	ancestors := sessions.Ancestors(pid)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.services {
		st := m.statusOf(s)
		if st.ProcessId == 0 {
			continue
		}
		for _, p := range ancestors {
			if p == st.ProcessId {
				return s, s.cfg.Type&windows.SERVICE_INTERACTIVE_PROCESS != 0 && services.IsLocalSystem(s.cfg.ObjectName)
			}
		}
	}
	return nil, false
}

// GetProcessWindowStation describes the caller's window station and what
// it may enumerate.
func (m *Manager) GetProcessWindowStation(c Caller) (*pb.WindowStationInfo, error) {
	admin := c.Token != nil && c.Token.IsAdmin()
	info := &pb.WindowStationInfo{Name: "WinSta0", Desktops: []string{"Default"}, Admin: admin}
	if admin {
		info.Desktops = append(info.Desktops, "Winlogon")
	}
	src := m.sessionSource()
	if src != nil && c.Pid != 0 {
		if id, err := src.SessionOf(c.Pid); err == nil {
			info.SessionId = id
		}
	}
	if info.SessionId != 0 {
		if s, ok := src.Session(info.SessionId); ok {
			info.Visible = true
			info.Input = s.Active
			info.UserSid = security.UserSID(s.UID)
		}
		info.Stations = []string{"WinSta0"}
		return info, nil
	}
	svc, interactive := m.hostOf(c.Pid)
	switch {
	case svc != nil && interactive && m.interactiveServicesAllowed():
		info.Visible, info.UserSid = true, security.LocalSystem
	case svc != nil:
		info.Name = serviceStation(svc.cfg.ObjectName)
		info.Desktops = []string{"Default"}
		if c.Token != nil {
			info.UserSid = c.Token.User
		}
	}
	// Session 0's stations: WinSta0 and those of the services running; an
	// administrator sees them all, anyone else their own.
	seen := map[string]bool{"WinSta0": true}
	stations := []string{"WinSta0"}
	if !admin && info.Name != "WinSta0" {
		stations = append(stations, info.Name)
	}
	if admin {
		m.mu.Lock()
		for _, s := range m.services {
			if m.statusOf(s).CurrentState != windows.SERVICE_STOPPED {
				if n := serviceStation(s.cfg.ObjectName); !seen[n] {
					seen[n] = true
					stations = append(stations, n)
				}
			}
		}
		m.mu.Unlock()
		sort.Strings(stations[1:])
	}
	info.Stations = stations
	return info, nil
}
