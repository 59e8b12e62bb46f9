package mgr

import (
	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
)

// Service is used to access a service.
type Service struct {
	Name   string
	Handle windows.Handle
}

// Delete marks service s for deletion from the service control manager
// database.
func (s *Service) Delete() error {
	_, err := client.Call(conn().DeleteService, &pb.HandleRequest{Handle: uint64(s.Handle)})
	return err
}

// Close relinquishes access to the service s.
func (s *Service) Close() error {
	_, err := client.Call(conn().CloseServiceHandle, &pb.HandleRequest{Handle: uint64(s.Handle)})
	return err
}

// Query returns current status of service s.
func (s *Service) Query() (svc.Status, error) {
	t, err := client.Call(conn().QueryServiceStatus, &pb.HandleRequest{Handle: uint64(s.Handle)})
	if err != nil {
		return svc.Status{}, err
	}
	return svc.Status{
		State:                   svc.State(t.CurrentState),
		Accepts:                 svc.Accepted(t.ControlsAccepted),
		CheckPoint:              t.CheckPoint,
		WaitHint:                t.WaitHint,
		ProcessId:               t.ProcessId,
		Win32ExitCode:           t.Win32ExitCode,
		ServiceSpecificExitCode: t.ServiceSpecificExitCode,
	}, nil
}

// ListDependentServices returns the names of the services dependent on
// service s, which match the given status.
func (s *Service) ListDependentServices(status svc.ActivityStatus) ([]string, error) {
	req := &pb.EnumDependentServicesRequest{Handle: uint64(s.Handle), ServiceState: uint32(status)}
	for {
		r, err := client.Call(conn().EnumDependentServices, req)
		if err != nil {
			return nil, err
		}
		if r.Win32Error == 0 {
			var names []string
			for _, e := range r.Services {
				names = append(names, e.ServiceName)
			}
			return names, nil
		}
		if windows.Errno(r.Win32Error) != windows.ERROR_MORE_DATA || r.BytesNeeded <= req.BufSize {
			return nil, windows.Errno(r.Win32Error)
		}
		req.BufSize = r.BytesNeeded
	}
}

func (s *Service) change2(info *pb.ServiceConfig2) error {
	_, err := client.Call(conn().ChangeServiceConfig2, &pb.ChangeServiceConfig2Request{Handle: uint64(s.Handle), Info: info})
	return err
}

func (s *Service) query2(level uint32) (*pb.ServiceConfig2, error) {
	return client.Call(conn().QueryServiceConfig2, &pb.QueryServiceConfig2Request{Handle: uint64(s.Handle), InfoLevel: level})
}

// Start starts service s. args will be passed to svc.Handler.Execute.
func (s *Service) Start(args ...string) error {
	_, err := client.Call(conn().StartService, &pb.StartServiceRequest{Handle: uint64(s.Handle), Args: args})
	return err
}

// Control sends state change request c to the service s. It returns the
// most recent status the service reported to the service control manager,
// and an error if the state change request was not accepted. Note that the
// returned service status is only set if the status change request
// succeeded, or if the error is one of ERROR_INVALID_SERVICE_CONTROL,
// ERROR_SERVICE_CANNOT_ACCEPT_CTRL, or ERROR_SERVICE_NOT_ACTIVE.
func (s *Service) Control(c svc.Cmd) (svc.Status, error) {
	r, err := client.Call(conn().ControlService, &pb.ControlServiceRequest{Handle: uint64(s.Handle), Control: uint32(c)})
	if err != nil {
		return svc.Status{}, err
	}
	if e := windows.Errno(r.Win32Error); e != 0 {
		if e != windows.ERROR_INVALID_SERVICE_CONTROL && e != windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL && e != windows.ERROR_SERVICE_NOT_ACTIVE {
			return svc.Status{}, e
		}
		return svc.Status{State: svc.State(r.Status.CurrentState), Accepts: svc.Accepted(r.Status.ControlsAccepted)}, e
	}
	return svc.Status{State: svc.State(r.Status.CurrentState), Accepts: svc.Accepted(r.Status.ControlsAccepted)}, nil
}
