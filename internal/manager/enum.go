package manager

import (
	"strings"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/windows"
)

// EnumServicesStatus lists services by type, state and group, a buffer's
// worth at a time, as EnumServicesStatus(Ex): entries that do not fit are
// left for the next call at resume_handle, with ERROR_MORE_DATA and the
// bytes the rest would need.
func (m *Manager) EnumServicesStatus(c Caller, r *pb.EnumServicesStatusRequest) (*pb.EnumServicesStatusReply, error) {
	reply, err := m.enumServicesStatus(c, r)
	m.waitRecorded() // what it says survives a crash of scmd
	return reply, err
}

func (m *Manager) enumServicesStatus(c Caller, r *pb.EnumServicesStatusRequest) (*pb.EnumServicesStatusReply, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.need(c, r.Scm, scmHandle, windows.SC_MANAGER_ENUMERATE_SERVICE); err != nil {
		return nil, err
	}
	if r.ServiceType&(windows.SERVICE_DRIVER|windows.SERVICE_WIN32) == 0 || r.ServiceType&^uint32(windows.SERVICE_TYPE_ALL|windows.SERVICE_USER_SERVICE|windows.SERVICE_USERSERVICE_INSTANCE) != 0 {
		return nil, windows.ERROR_INVALID_PARAMETER
	}
	if r.ServiceState < windows.SERVICE_ACTIVE || r.ServiceState > windows.SERVICE_STATE_ALL {
		return nil, windows.ERROR_INVALID_PARAMETER
	}
	if r.GroupName != nil && *r.GroupName != "" && !m.groupKnown(*r.GroupName) {
		return nil, windows.ERROR_SERVICE_DOES_NOT_EXIST
	}
	var matched []*pb.ServiceEntry
	for _, s := range m.sortedServices() {
		if s.cfg.Type&r.ServiceType == 0 || !stateMatches(m.statusOf(s), r.ServiceState) {
			continue
		}
		if r.GroupName != nil && !strings.EqualFold(s.cfg.Group, *r.GroupName) {
			continue
		}
		matched = append(matched, m.entry(s))
	}
	return page(matched, r.ResumeHandle, r.BufSize, r.Ex), nil
}

// page cuts a list at what fits in bufSize bytes, starting at resume.
func page(all []*pb.ServiceEntry, resume, bufSize uint32, ex bool) *pb.EnumServicesStatusReply {
	reply := &pb.EnumServicesStatusReply{}
	if int(resume) > len(all) {
		resume = uint32(len(all))
	}
	rest := all[resume:]
	var used uint32
	for i, e := range rest {
		size := enumEntrySize(e, ex)
		if used+size > bufSize {
			for _, left := range rest[i:] {
				reply.BytesNeeded += enumEntrySize(left, ex)
			}
			reply.ResumeHandle = resume + uint32(i)
			reply.Win32Error = uint32(windows.ERROR_MORE_DATA)
			return reply
		}
		used += size
		reply.Services = append(reply.Services, e)
	}
	return reply
}

func stateMatches(st *pb.ServiceStatus, want uint32) bool {
	active := st.CurrentState != windows.SERVICE_STOPPED
	switch want {
	case windows.SERVICE_ACTIVE:
		return active
	case windows.SERVICE_INACTIVE:
		return !active
	}
	return true
}

func (m *Manager) entry(s *service) *pb.ServiceEntry {
	return &pb.ServiceEntry{ServiceName: s.cfg.Name, DisplayName: s.cfg.EffectiveDisplayName(), Status: m.statusOf(s)}
}

// EnumDependentServices lists the services that depend on this one, directly
// or not, in the order they would be stopped: each dependent after those that
// depend on it, which is the reverse of their start order.
func (m *Manager) EnumDependentServices(c Caller, r *pb.EnumDependentServicesRequest) (*pb.EnumServicesStatusReply, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.need(c, r.Handle, serviceHandle, windows.SERVICE_ENUMERATE_DEPENDENTS)
	if err != nil {
		return nil, err
	}
	if r.ServiceState < windows.SERVICE_ACTIVE || r.ServiceState > windows.SERVICE_STATE_ALL {
		return nil, windows.ERROR_INVALID_PARAMETER
	}
	var list []*pb.ServiceEntry
	seen := map[*service]bool{h.svc: true}
	var visit func(s *service)
	visit = func(s *service) {
		for _, d := range m.sortedServices() {
			if seen[d] || !d.dependsOn(s) {
				continue
			}
			seen[d] = true
			visit(d)
			if stateMatches(m.statusOf(d), r.ServiceState) {
				list = append(list, m.entry(d))
			}
		}
	}
	visit(h.svc)
	reply := page(list, 0, r.BufSize, false)
	if reply.Win32Error != 0 {
		reply.Services = nil // EnumDependentServices returns all or nothing
		reply.BytesNeeded = 0
		for _, e := range list {
			reply.BytesNeeded += enumEntrySize(e, false)
		}
	}
	return reply, nil
}

// dependsOn reports whether s names t in DependOnService, or names a group t
// belongs to.
func (s *service) dependsOn(t *service) bool {
	for _, d := range s.cfg.DependOnService {
		if strings.EqualFold(d, t.cfg.Name) {
			return true
		}
	}
	for _, g := range s.cfg.DependOnGroup {
		if t.cfg.Group != "" && strings.EqualFold(g, t.cfg.Group) {
			return true
		}
	}
	return false
}

// groupKnown reports whether a load-order group exists for the SCM: a
// service belongs to it, or ServiceGroupOrder\List names it. Windows
// answers an enumeration of any other group with
// ERROR_SERVICE_DOES_NOT_EXIST rather than an empty list. m.mu is held.
func (m *Manager) groupKnown(group string) bool {
	for _, s := range m.services {
		if strings.EqualFold(s.cfg.Group, group) {
			return true
		}
	}
	order := m.settings.groupOrder.Groups
	for _, g := range order {
		if strings.EqualFold(g, group) {
			return true
		}
	}
	return false
}
