package manager

import (
	"os/user"
	"strconv"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

// CreateService adds a service to the database and opens it.
func (m *Manager) CreateService(c Caller, r *pb.CreateServiceRequest) (*pb.CreateServiceReply, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.need(c, r.Scm, scmHandle, windows.SC_MANAGER_CREATE_SERVICE); err != nil {
		return nil, err
	}
	if err := m.roomForHandle(c); err != nil {
		return nil, err // checked first: a service is never created without its handle for want of room
	}
	if !fits(r.ServiceStartName, MaxAccountNameLength) || !fits(r.BinaryPathName, MaxPathLength) {
		return nil, windows.ERROR_INVALID_PARAMETER
	}
	if err := services.ValidateName(r.ServiceName); err != nil {
		return nil, err
	}
	if err := services.ValidateDisplayName(r.DisplayName); err != nil {
		return nil, err
	}
	if s := m.find(r.ServiceName); s != nil {
		if s.deleted {
			return nil, windows.ERROR_SERVICE_MARKED_FOR_DELETE
		}
		return nil, windows.ERROR_SERVICE_EXISTS
	}
	cfg := &services.Config{
		Name:               r.ServiceName,
		Type:               r.ServiceType,
		Start:              r.StartType,
		ErrorControl:       r.ErrorControl,
		ImagePath:          r.BinaryPathName,
		DisplayName:        r.DisplayName,
		Group:              r.LoadOrderGroup,
		PreshutdownTimeout: services.DefaultPreshutdownTimeout,
		Security:           security.DefaultServiceSDDL,
	}
	if cfg.DisplayName == "" {
		cfg.DisplayName = r.ServiceName
	}
	cfg.SetDependencies(r.Dependencies)
	account, err := m.account(r.ServiceStartName, cfg.Type)
	if err != nil {
		return nil, err
	}
	cfg.ObjectName = account
	if err := m.checkConfig(cfg, nil); err != nil {
		return nil, err
	}
	if r.WantTagId {
		if cfg.Group == "" {
			return nil, windows.ERROR_INVALID_PARAMETER
		}
		cfg.Tag = m.nextTag(cfg.Group)
	}
	err = m.store.Update(func(tx *registry.Tx) error {
		k, err := tx.CreateKey(serviceKey(cfg.Name))
		if err != nil {
			return err
		}
		return cfg.Save(k)
	})
	if err != nil {
		return nil, err
	}
	s := newService(cfg)
	m.add(s)
	m.notify(s, windows.SERVICE_NOTIFY_CREATED, m.statusOf(s), false)
	kind := "user mode service"
	if services.IsDriver(cfg.Type) {
		kind = "kernel mode driver"
	}
	m.scmEvent(core.EventInformation, 7045, cfg.Name, core.DisplayName, cfg.ImagePath, kind, startTypeName(cfg.Start), cfg.ObjectName)
	granted, err := security.AccessCheck(s.sd, c.Token, r.DesiredAccess, security.ServiceMapping)
	if err != nil {
		// The service exists now, as on Windows; only the handle is refused.
		return nil, err
	}
	h, err := m.newHandle(c, &handle{kind: serviceHandle, access: granted, svc: s})
	if err != nil {
		return nil, err
	}
	return &pb.CreateServiceReply{Handle: h, TagId: cfg.Tag}, nil
}

// checkConfig applies the rules every stored configuration satisfies. self is
// the service being changed, nil for a new one.
func (m *Manager) checkConfig(cfg *services.Config, self *service) error {
	if err := checkConfigSizes(cfg); err != nil {
		return err
	}
	if err := services.ValidateTypes(cfg); err != nil {
		return err
	}
	display := strings.ToLower(cfg.EffectiveDisplayName())
	for _, s := range m.services {
		if s == self {
			continue
		}
		if strings.ToLower(s.cfg.EffectiveDisplayName()) == display ||
			strings.ToLower(s.cfg.Name) == display ||
			(self == nil && strings.ToLower(s.cfg.EffectiveDisplayName()) == strings.ToLower(cfg.Name)) {
			return windows.ERROR_DUPLICATE_SERVICE_NAME
		}
	}
	return services.CheckCycle(cfg.Name, cfg.DependOnService, func(name string) []string {
		if s := m.find(name); s != nil && s != self {
			return s.cfg.DependOnService
		}
		return nil
	})
}

// nextTag returns the next unused tag within a group.
func (m *Manager) nextTag(group string) uint32 {
	var max uint32
	for _, s := range m.services {
		if strings.EqualFold(s.cfg.Group, group) && s.cfg.Tag > max {
			max = s.cfg.Tag
		}
	}
	return max + 1
}

// account validates the account a service is to run as and returns the
// name to store. Drivers keep their object name as given. A user's own SCM
// runs every service as that user, so it accepts LocalSystem (its own
// identity there) and the user's name only.
func (m *Manager) account(name string, serviceType uint32) (string, error) {
	if services.IsDriver(serviceType) {
		return name, nil
	}
	if services.IsLocalSystem(name) {
		return services.LocalSystemAccount, nil
	}
	if m.owner != 0 {
		u, err := user.LookupId(strconv.FormatUint(uint64(m.owner), 10))
		short := name[strings.LastIndexByte(name, '\\')+1:]
		if err != nil || !strings.EqualFold(short, u.Username) || (strings.Contains(name, `\`) && !strings.HasPrefix(name, `.\`)) {
			return "", windows.ERROR_INVALID_SERVICE_ACCOUNT
		}
		return `.\` + u.Username, nil
	}
	switch strings.ToLower(name) {
	case `nt authority\localservice`:
		return `NT AUTHORITY\LocalService`, nil
	case `nt authority\networkservice`:
		return `NT AUTHORITY\NetworkService`, nil
	}
	user := name
	if i := strings.LastIndexByte(user, '\\'); i >= 0 {
		user = user[i+1:]
	}
	if !userExists(user) {
		return "", windows.ERROR_INVALID_SERVICE_ACCOUNT
	}
	if !strings.Contains(name, `\`) {
		name = `.\` + name
	}
	return name, nil
}

var userExists = func(name string) bool {
	_, err := user.Lookup(name)
	return err == nil
}

// OpenService opens an existing service with the access the caller asks for.
func (m *Manager) OpenService(c Caller, scm uint64, name string, desired uint32) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.lookup(c, scm, scmHandle); err != nil {
		return 0, err
	}
	if name == "" || len([]rune(name)) > services.MaxNameLength {
		return 0, windows.ERROR_INVALID_NAME
	}
	s := m.find(name)
	if s == nil {
		return 0, windows.ERROR_SERVICE_DOES_NOT_EXIST
	}
	granted, err := security.AccessCheck(s.sd, c.Token, desired, security.ServiceMapping)
	if err != nil {
		return 0, err
	}
	return m.newHandle(c, &handle{kind: serviceHandle, access: granted, svc: s})
}

// DeleteService marks a service for delete. It goes when it is stopped and
// its last handle is closed; the mark is durable, so a restart of scmd
// finishes the job.
func (m *Manager) DeleteService(c Caller, id uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.need(c, id, serviceHandle, windows.DELETE)
	if err != nil {
		return err
	}
	s := h.svc
	if s.deleted {
		return windows.ERROR_SERVICE_MARKED_FOR_DELETE
	}
	err = m.store.Update(func(tx *registry.Tx) error {
		k, err := tx.OpenKey(serviceKey(s.cfg.Name))
		if err != nil {
			return err
		}
		return k.SetValue(registry.DWordValue("DeleteFlag", 1))
	})
	if err != nil {
		return err
	}
	s.deleted = true
	s.cfg.DeleteFlag = true
	m.configured(s)
	m.notify(s, windows.SERVICE_NOTIFY_DELETE_PENDING, m.statusOf(s), false)
	return nil
}

// QueryServiceConfig returns the QUERY_SERVICE_CONFIG fields.
func (m *Manager) QueryServiceConfig(c Caller, id uint64) (*pb.ServiceConfig, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.need(c, id, serviceHandle, windows.SERVICE_QUERY_CONFIG)
	if err != nil {
		return nil, err
	}
	cfg := h.svc.cfg
	r := &pb.ServiceConfig{
		ServiceType:      cfg.Type,
		StartType:        cfg.Start,
		ErrorControl:     cfg.ErrorControl,
		BinaryPathName:   cfg.ImagePath,
		LoadOrderGroup:   cfg.Group,
		TagId:            cfg.Tag,
		Dependencies:     cfg.Dependencies(),
		ServiceStartName: cfg.ObjectName,
		DisplayName:      cfg.EffectiveDisplayName(),
	}
	r.BytesNeeded = queryConfigSize(r)
	return r, nil
}

// ChangeServiceConfig changes the fields that are set; the rest stay.
func (m *Manager) ChangeServiceConfig(c Caller, r *pb.ChangeServiceConfigRequest) (*pb.ChangeServiceConfigReply, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.need(c, r.Handle, serviceHandle, windows.SERVICE_CHANGE_CONFIG)
	if err != nil {
		return nil, err
	}
	s := h.svc
	if s.deleted {
		return nil, windows.ERROR_SERVICE_MARKED_FOR_DELETE
	}
	cfg := *s.cfg
	if r.ServiceType != nil && *r.ServiceType != windows.SERVICE_NO_CHANGE {
		cfg.Type = *r.ServiceType
	}
	if r.StartType != nil && *r.StartType != windows.SERVICE_NO_CHANGE {
		cfg.Start = *r.StartType
	}
	if r.ErrorControl != nil && *r.ErrorControl != windows.SERVICE_NO_CHANGE {
		cfg.ErrorControl = *r.ErrorControl
	}
	if r.BinaryPathName != nil {
		cfg.ImagePath = *r.BinaryPathName
	}
	if r.LoadOrderGroup != nil {
		cfg.Group = *r.LoadOrderGroup
	}
	if r.ChangeDependencies {
		cfg.SetDependencies(r.Dependencies)
	}
	if r.ServiceStartName != nil || r.ServiceType != nil {
		name := cfg.ObjectName
		if r.ServiceStartName != nil {
			name = *r.ServiceStartName
		}
		if cfg.ObjectName, err = m.account(name, cfg.Type); err != nil {
			return nil, err
		}
	}
	if r.DisplayName != nil {
		if err := services.ValidateDisplayName(*r.DisplayName); err != nil {
			return nil, err
		}
		cfg.DisplayName = *r.DisplayName
	}
	if err := m.checkConfig(&cfg, s); err != nil {
		return nil, err
	}
	if r.WantTagId {
		if cfg.Group == "" {
			return nil, windows.ERROR_INVALID_PARAMETER
		}
		if cfg.Tag == 0 || !strings.EqualFold(cfg.Group, s.cfg.Group) {
			cfg.Tag = m.nextTag(cfg.Group)
		}
	}
	oldStart := s.cfg.Start
	if err := m.save(s, &cfg); err != nil {
		return nil, err
	}
	if cfg.Start != oldStart {
		m.scmEvent(core.EventInformation, 7040, cfg.Name, core.DisplayName, startTypeName(oldStart), startTypeName(cfg.Start))
	}
	return &pb.ChangeServiceConfigReply{TagId: cfg.Tag}, nil
}

// save writes a service's new configuration and adopts it once durable.
func (m *Manager) save(s *service, cfg *services.Config) error {
	if err := checkConfigSizes(cfg); err != nil {
		return err
	}
	err := m.store.Update(func(tx *registry.Tx) error {
		k, err := tx.CreateKey(serviceKey(cfg.Name))
		if err != nil {
			return err
		}
		return cfg.Save(k)
	})
	if err != nil {
		return err
	}
	s.cfg = cfg
	m.configured(s)
	return nil
}

// QueryServiceStatus returns a service's SERVICE_STATUS_PROCESS, once what
// it says would survive a crash of scmd.
func (m *Manager) QueryServiceStatus(c Caller, id uint64) (*pb.ServiceStatus, error) {
	st, err := m.queryServiceStatus(c, id)
	m.waitRecorded()
	return st, err
}

func (m *Manager) queryServiceStatus(c Caller, id uint64) (*pb.ServiceStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.need(c, id, serviceHandle, windows.SERVICE_QUERY_STATUS)
	if err != nil {
		return nil, err
	}
	return m.statusOf(h.svc), nil
}
