package manager

import (
	"strings"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

// hostPrivileges returns the RequiredPrivileges a new service process is
// started with, and whether its service SID is restricted. Windows builds a
// process's token once, for every service it will host, so a share-process
// host gets the union of the privileges of all the services configured to
// share it (same ImagePath, as the core matches hosts); if any of them
// names none, that one needs all its account holds, and so does the host
// (nil). The SID is restricted if any of them is: Windows requires all the
// services of a process to be restricted once one is.
func (m *Manager) hostPrivileges(a core.Launch) ([]string, bool) {
	s := m.find(a.Service)
	if s == nil {
		return nil, false
	}
	cfgs := []*services.Config{s.cfg}
	if a.Shared {
		for _, o := range m.services {
			if o != s && !o.deleted && o.cfg.Type&windows.SERVICE_WIN32_SHARE_PROCESS != 0 && o.cfg.ImagePath == a.Image {
				cfgs = append(cfgs, o.cfg)
			}
		}
	}
	var union []string
	seen := map[string]bool{}
	all, restricted := false, false
	for _, c := range cfgs {
		restricted = restricted || c.ServiceSidType == windows.SERVICE_SID_TYPE_RESTRICTED
		if len(c.RequiredPrivileges) == 0 {
			all = true
		}
		for _, p := range c.RequiredPrivileges {
			if !seen[strings.ToLower(p)] {
				seen[strings.ToLower(p)] = true
				union = append(union, p)
			}
		}
	}
	if all {
		union = nil
	}
	return union, restricted
}
