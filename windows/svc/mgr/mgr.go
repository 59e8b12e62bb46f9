// Package mgr can be used to manage services: create, open, configure,
// query and delete them, as golang.org/x/sys/windows/svc/mgr does on
// Windows. Errors are bare windows.Errno values.
package mgr

import (
	"time"

	"github.com/openscm/scm/internal/cmdline"
	"github.com/openscm/scm/windows/svc"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

// Mgr is used to manage services.
type Mgr struct {
	Handle windows.Handle
}

// conn is the process's connection to the SCM: handles are the process's,
// so that a Mgr or Service made from a handle windows.OpenSCManager or
// windows.OpenService returned works as one from Connect.
func conn() *client.Conn { return client.Shared() }

// Connect establishes a connection to the service control manager.
func Connect() (*Mgr, error) {
	return ConnectRemote("")
}

// ConnectRemote establishes a connection to the service control manager on
// the named host ("name", "address", "name:port"), which serves other
// machines over TLS (scmd --listen); the handles it opens are that
// host's, and every call made with them goes there. A host that cannot be
// reached is RPC_S_SERVER_UNAVAILABLE; one that refuses the caller's
// certificate, ERROR_ACCESS_DENIED. docs/remote.md says where the
// certificate is found.
func ConnectRemote(host string) (*Mgr, error) {
	r, err := client.Call(conn().OpenSCManager, &pb.OpenSCManagerRequest{Machine: host, DesiredAccess: windows.SC_MANAGER_ALL_ACCESS})
	if err != nil {
		return nil, err
	}
	return &Mgr{Handle: windows.Handle(r.Handle)}, nil
}

// Disconnect closes connection to the service control manager m: its
// handle. The handles of the services opened through it stay open until
// they are closed, or the process ends.
func (m *Mgr) Disconnect() error {
	_, err := client.Call(conn().CloseServiceHandle, &pb.HandleRequest{Handle: uint64(m.Handle)})
	return err
}

// LockStatus describes lock status of the service control manager database.
type LockStatus struct {
	IsLocked bool          // Whether the SCM has been locked.
	Age      time.Duration // For how long the SCM has been locked.
	Owner    string        // The name of the user who has locked the SCM.
}

// LockStatus returns whether the service control manager is locked by the
// system, for how long, and by whom.
func (m *Mgr) LockStatus() (*LockStatus, error) {
	r, err := client.Call(conn().QueryServiceLockStatus, &pb.HandleRequest{Handle: uint64(m.Handle)})
	if err != nil {
		return nil, err
	}
	return &LockStatus{IsLocked: r.IsLocked, Age: time.Duration(r.LockDuration) * time.Second, Owner: r.LockOwner}, nil
}

// CreateService installs new service name on the system. The service will
// be executed by running exepath binary. Use config c to specify service
// parameters. Any args will be passed as command-line arguments when the
// service is started; these arguments are distinct from the arguments passed
// to Service.Start or via the "Start parameters" field in the service's
// Properties dialog box.
func (m *Mgr) CreateService(name, exepath string, c Config, args ...string) (*Service, error) {
	if c.StartType == 0 {
		c.StartType = StartManual
	}
	if c.ServiceType == 0 {
		c.ServiceType = windows.SERVICE_WIN32_OWN_PROCESS
	}
	s := cmdline.Quote(exepath)
	for _, v := range args {
		s += " " + cmdline.Quote(v)
	}
	r, err := client.Call(conn().CreateService, &pb.CreateServiceRequest{
		Scm: uint64(m.Handle), ServiceName: name, DisplayName: c.DisplayName,
		DesiredAccess: windows.SERVICE_ALL_ACCESS, ServiceType: c.ServiceType, StartType: c.StartType,
		ErrorControl: c.ErrorControl, BinaryPathName: s, LoadOrderGroup: c.LoadOrderGroup,
		Dependencies: c.Dependencies, ServiceStartName: c.ServiceStartName, Password: c.Password,
	})
	if err != nil {
		return nil, err
	}
	svc := &Service{Name: name, Handle: windows.Handle(r.Handle)}
	undo := func(err error) (*Service, error) {
		svc.Delete()
		svc.Close()
		return nil, err
	}
	if c.SidType != windows.SERVICE_SID_TYPE_NONE {
		if err := svc.change2(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_SERVICE_SID_INFO, ServiceSidType: c.SidType}); err != nil {
			return undo(err)
		}
	}
	if c.Description != "" {
		if err := svc.updateDescription(c.Description); err != nil {
			return undo(err)
		}
	}
	if c.DelayedAutoStart {
		if err := svc.updateStartUp(true); err != nil {
			return undo(err)
		}
	}
	return svc, nil
}

// OpenService retrieves access to service name, so it can be interrogated
// and controlled.
func (m *Mgr) OpenService(name string) (*Service, error) {
	r, err := client.Call(conn().OpenService, &pb.OpenServiceRequest{Scm: uint64(m.Handle), ServiceName: name, DesiredAccess: windows.SERVICE_ALL_ACCESS})
	if err != nil {
		return nil, err
	}
	return &Service{Name: name, Handle: windows.Handle(r.Handle)}, nil
}

// ListServices enumerates services in the specified service control
// manager database m. If the caller does not have the
// SERVICE_QUERY_STATUS access right to a service, the service is silently
// omitted from the list of services returned.
func (m *Mgr) ListServices() ([]string, error) {
	list, err := m.enum(&pb.EnumServicesStatusRequest{Scm: uint64(m.Handle), ServiceType: windows.SERVICE_WIN32, ServiceState: windows.SERVICE_STATE_ALL, Ex: true})
	if err != nil {
		return nil, err
	}
	names := make([]string, len(list))
	for i, e := range list {
		names[i] = e.ServiceName
	}
	return names, nil
}

// ServiceEntry is one service as EnumServicesStatusEx lists it.
type ServiceEntry struct {
	Name        string
	DisplayName string
	ServiceType uint32
	Status      svc.Status
}

// ListServicesStatus lists the services of serviceType
// (windows.SERVICE_WIN32, ...) in state (windows.SERVICE_ACTIVE,
// SERVICE_INACTIVE or SERVICE_STATE_ALL) with their display names and
// status, as EnumServicesStatusEx does: only those of the load-order group
// named by group when it is not nil ("" for the services in no group). It
// is not in golang.org/x/sys, which has ListServices alone.
func (m *Mgr) ListServicesStatus(serviceType, state uint32, group *string) ([]ServiceEntry, error) {
	list, err := m.enum(&pb.EnumServicesStatusRequest{Scm: uint64(m.Handle), ServiceType: serviceType, ServiceState: state, GroupName: group, Ex: true})
	if err != nil {
		return nil, err
	}
	out := make([]ServiceEntry, len(list))
	for i, e := range list {
		t := e.Status
		out[i] = ServiceEntry{Name: e.ServiceName, DisplayName: e.DisplayName, ServiceType: t.ServiceType, Status: svc.Status{
			State:                   svc.State(t.CurrentState),
			Accepts:                 svc.Accepted(t.ControlsAccepted),
			CheckPoint:              t.CheckPoint,
			WaitHint:                t.WaitHint,
			ProcessId:               t.ProcessId,
			Win32ExitCode:           t.Win32ExitCode,
			ServiceSpecificExitCode: t.ServiceSpecificExitCode,
		}}
	}
	return out, nil
}

// enum makes the EnumServicesStatusEx call, once more with the size the
// first said it needs.
func (m *Mgr) enum(req *pb.EnumServicesStatusRequest) ([]*pb.ServiceEntry, error) {
	for {
		r, err := client.Call(conn().EnumServicesStatus, req)
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
