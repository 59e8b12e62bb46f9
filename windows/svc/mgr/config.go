package mgr

import (
	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

const (
	// Service start types.
	StartManual    = windows.SERVICE_DEMAND_START // the service must be started manually
	StartAutomatic = windows.SERVICE_AUTO_START   // the service will start by itself whenever the computer reboots
	StartDisabled  = windows.SERVICE_DISABLED     // the service cannot be started

	// The severity of the error, and action taken,
	// if this service fails to start.
	ErrorCritical = windows.SERVICE_ERROR_CRITICAL
	ErrorIgnore   = windows.SERVICE_ERROR_IGNORE
	ErrorNormal   = windows.SERVICE_ERROR_NORMAL
	ErrorSevere   = windows.SERVICE_ERROR_SEVERE
)

// Config stores parameters of the service.
type Config struct {
	ServiceType      uint32
	StartType        uint32
	ErrorControl     uint32
	BinaryPathName   string // fully qualified path to the service binary file, can also include arguments for an auto-start service
	LoadOrderGroup   string
	TagId            uint32
	Dependencies     []string
	ServiceStartName string // name of the account under which the service should run
	DisplayName      string
	Password         string
	Description      string
	SidType          uint32 // one of SERVICE_SID_TYPE, the type of sid to use for the service
	DelayedAutoStart bool   // the service is started after other auto-start services are started plus a short delay
}

// Config retrieves service s configuration parameters.
func (s *Service) Config() (Config, error) {
	p, err := client.Call(conn().QueryServiceConfig, &pb.HandleRequest{Handle: uint64(s.Handle)})
	if err != nil {
		return Config{}, err
	}
	desc, err := s.query2(windows.SERVICE_CONFIG_DESCRIPTION)
	if err != nil {
		return Config{}, err
	}
	delayed, err := s.query2(windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO)
	if err != nil {
		return Config{}, err
	}
	sid, err := s.query2(windows.SERVICE_CONFIG_SERVICE_SID_INFO)
	if err != nil {
		return Config{}, err
	}
	deps := p.Dependencies
	if deps == nil {
		deps = []string{}
	}
	return Config{
		ServiceType:      p.ServiceType,
		StartType:        p.StartType,
		ErrorControl:     p.ErrorControl,
		BinaryPathName:   p.BinaryPathName,
		LoadOrderGroup:   p.LoadOrderGroup,
		TagId:            p.TagId,
		Dependencies:     deps,
		ServiceStartName: p.ServiceStartName,
		DisplayName:      p.DisplayName,
		Description:      desc.GetDescription(),
		DelayedAutoStart: delayed.DelayedAutoStart != 0,
		SidType:          sid.ServiceSidType,
	}, nil
}

// optional is upstream's toPtr: an empty string is a NULL pointer, which
// ChangeServiceConfig reads as "no change".
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// UpdateConfig updates service s configuration parameters.
func (s *Service) UpdateConfig(c Config) error {
	req := &pb.ChangeServiceConfigRequest{
		Handle:           uint64(s.Handle),
		ServiceType:      &c.ServiceType,
		StartType:        &c.StartType,
		ErrorControl:     &c.ErrorControl,
		BinaryPathName:   optional(c.BinaryPathName),
		LoadOrderGroup:   optional(c.LoadOrderGroup),
		ServiceStartName: optional(c.ServiceStartName),
		Password:         optional(c.Password),
		DisplayName:      optional(c.DisplayName),
	}
	// An empty list is a NULL block upstream: dependencies stay as they are.
	for _, d := range c.Dependencies {
		if d != "" {
			req.ChangeDependencies = true
			req.Dependencies = append(req.Dependencies, d)
		}
	}
	if _, err := client.Call(conn().ChangeServiceConfig, req); err != nil {
		return err
	}
	if err := s.change2(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_SERVICE_SID_INFO, ServiceSidType: c.SidType}); err != nil {
		return err
	}
	if err := s.updateStartUp(c.DelayedAutoStart); err != nil {
		return err
	}
	return s.updateDescription(c.Description)
}

// updateDescription follows upstream: an empty description is a NULL
// pointer, which leaves the description as it is.
func (s *Service) updateDescription(desc string) error {
	return s.change2(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_DESCRIPTION, Description: optional(desc)})
}

func (s *Service) updateStartUp(isDelayed bool) error {
	var d uint32
	if isDelayed {
		d = 1
	}
	return s.change2(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, DelayedAutoStart: d})
}
