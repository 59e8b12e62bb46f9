package server

import (
	"context"

	"connectrpc.com/connect"
	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/manager"
)

// handler adapts the Manager to the generated Connect interface.
type handler struct{ m *manager.Manager }

// call runs one manager call with the request's caller and wraps the result.
func call[Req, Res any](ctx context.Context, r *connect.Request[Req], fn func(manager.Caller, *Req) (*Res, error)) (*connect.Response[Res], error) {
	res, err := fn(callerOf(ctx), r.Msg)
	if err != nil {
		return nil, win32Error(err)
	}
	return connect.NewResponse(res), nil
}

func empty(err error) (*pb.Empty, error) { return &pb.Empty{}, err }

func handleReply(h uint64, err error) (*pb.HandleReply, error) {
	return &pb.HandleReply{Handle: h}, err
}

func (h *handler) OpenSCManager(ctx context.Context, r *connect.Request[pb.OpenSCManagerRequest]) (*connect.Response[pb.HandleReply], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.OpenSCManagerRequest) (*pb.HandleReply, error) {
		return handleReply(h.m.OpenSCManager(c, q.Machine, q.Database, q.DesiredAccess))
	})
}

func (h *handler) CloseServiceHandle(ctx context.Context, r *connect.Request[pb.HandleRequest]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.HandleRequest) (*pb.Empty, error) {
		return empty(h.m.CloseServiceHandle(c, q.Handle))
	})
}

func (h *handler) CreateService(ctx context.Context, r *connect.Request[pb.CreateServiceRequest]) (*connect.Response[pb.CreateServiceReply], error) {
	return call(ctx, r, h.m.CreateService)
}

func (h *handler) OpenService(ctx context.Context, r *connect.Request[pb.OpenServiceRequest]) (*connect.Response[pb.HandleReply], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.OpenServiceRequest) (*pb.HandleReply, error) {
		return handleReply(h.m.OpenService(c, q.Scm, q.ServiceName, q.DesiredAccess))
	})
}

func (h *handler) DeleteService(ctx context.Context, r *connect.Request[pb.HandleRequest]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.HandleRequest) (*pb.Empty, error) {
		return empty(h.m.DeleteService(c, q.Handle))
	})
}

func (h *handler) QueryServiceConfig(ctx context.Context, r *connect.Request[pb.HandleRequest]) (*connect.Response[pb.ServiceConfig], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.HandleRequest) (*pb.ServiceConfig, error) {
		return h.m.QueryServiceConfig(c, q.Handle)
	})
}

func (h *handler) ChangeServiceConfig(ctx context.Context, r *connect.Request[pb.ChangeServiceConfigRequest]) (*connect.Response[pb.ChangeServiceConfigReply], error) {
	return call(ctx, r, h.m.ChangeServiceConfig)
}

func (h *handler) QueryServiceConfig2(ctx context.Context, r *connect.Request[pb.QueryServiceConfig2Request]) (*connect.Response[pb.ServiceConfig2], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.QueryServiceConfig2Request) (*pb.ServiceConfig2, error) {
		return h.m.QueryServiceConfig2(c, q.Handle, q.InfoLevel)
	})
}

func (h *handler) ChangeServiceConfig2(ctx context.Context, r *connect.Request[pb.ChangeServiceConfig2Request]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.ChangeServiceConfig2Request) (*pb.Empty, error) {
		return empty(h.m.ChangeServiceConfig2(c, q.Handle, q.Info))
	})
}

func (h *handler) QueryServiceStatus(ctx context.Context, r *connect.Request[pb.HandleRequest]) (*connect.Response[pb.ServiceStatus], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.HandleRequest) (*pb.ServiceStatus, error) {
		return h.m.QueryServiceStatus(c, q.Handle)
	})
}

func (h *handler) EnumServicesStatus(ctx context.Context, r *connect.Request[pb.EnumServicesStatusRequest]) (*connect.Response[pb.EnumServicesStatusReply], error) {
	return call(ctx, r, h.m.EnumServicesStatus)
}

func (h *handler) EnumDependentServices(ctx context.Context, r *connect.Request[pb.EnumDependentServicesRequest]) (*connect.Response[pb.EnumServicesStatusReply], error) {
	return call(ctx, r, h.m.EnumDependentServices)
}

func (h *handler) GetServiceKeyName(ctx context.Context, r *connect.Request[pb.GetNameRequest]) (*connect.Response[pb.GetNameReply], error) {
	return call(ctx, r, h.m.GetServiceKeyName)
}

func (h *handler) GetServiceDisplayName(ctx context.Context, r *connect.Request[pb.GetNameRequest]) (*connect.Response[pb.GetNameReply], error) {
	return call(ctx, r, h.m.GetServiceDisplayName)
}

func (h *handler) LockServiceDatabase(ctx context.Context, r *connect.Request[pb.HandleRequest]) (*connect.Response[pb.HandleReply], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.HandleRequest) (*pb.HandleReply, error) {
		return handleReply(h.m.LockServiceDatabase(c, q.Handle))
	})
}

func (h *handler) UnlockServiceDatabase(ctx context.Context, r *connect.Request[pb.HandleRequest]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.HandleRequest) (*pb.Empty, error) {
		return empty(h.m.UnlockServiceDatabase(c, q.Handle))
	})
}

func (h *handler) QueryServiceLockStatus(ctx context.Context, r *connect.Request[pb.HandleRequest]) (*connect.Response[pb.LockStatus], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.HandleRequest) (*pb.LockStatus, error) {
		return h.m.QueryServiceLockStatus(c, q.Handle)
	})
}

func (h *handler) QueryServiceObjectSecurity(ctx context.Context, r *connect.Request[pb.SecurityRequest]) (*connect.Response[pb.SecurityDescriptor], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.SecurityRequest) (*pb.SecurityDescriptor, error) {
		sddl, err := h.m.QueryServiceObjectSecurity(c, q.Handle, q.SecurityInformation)
		return &pb.SecurityDescriptor{Sddl: sddl}, err
	})
}

func (h *handler) SetServiceObjectSecurity(ctx context.Context, r *connect.Request[pb.SetSecurityRequest]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.SetSecurityRequest) (*pb.Empty, error) {
		return empty(h.m.SetServiceObjectSecurity(c, q.Handle, q.SecurityInformation, q.Sddl))
	})
}

func (h *handler) RegQueryKey(ctx context.Context, r *connect.Request[pb.RegKeyRequest]) (*connect.Response[pb.RegKey], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.RegKeyRequest) (*pb.RegKey, error) {
		return h.m.RegQueryKey(c, q.Path, q.Recursive)
	})
}

func (h *handler) RegCreateKey(ctx context.Context, r *connect.Request[pb.RegKeyRequest]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.RegKeyRequest) (*pb.Empty, error) {
		return empty(h.m.RegCreateKey(c, q.Path))
	})
}

func (h *handler) RegDeleteKey(ctx context.Context, r *connect.Request[pb.RegKeyRequest]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.RegKeyRequest) (*pb.Empty, error) {
		return empty(h.m.RegDeleteKey(c, q.Path))
	})
}

func (h *handler) RegSetValue(ctx context.Context, r *connect.Request[pb.RegSetValueRequest]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.RegSetValueRequest) (*pb.Empty, error) {
		return empty(h.m.RegSetValue(c, q.Path, q.Value))
	})
}

func (h *handler) RegDeleteValue(ctx context.Context, r *connect.Request[pb.RegDeleteValueRequest]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.RegDeleteValueRequest) (*pb.Empty, error) {
		return empty(h.m.RegDeleteValue(c, q.Path, q.Name))
	})
}

func (h *handler) StartService(ctx context.Context, r *connect.Request[pb.StartServiceRequest]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.StartServiceRequest) (*pb.Empty, error) {
		return empty(h.m.StartService(c, q.Handle, q.Args))
	})
}

func (h *handler) ControlService(ctx context.Context, r *connect.Request[pb.ControlServiceRequest]) (*connect.Response[pb.ControlServiceReply], error) {
	return call(ctx, r, h.m.ControlService)
}

// NotifyServiceStatusChange streams notifications until the client goes.
func (h *handler) NotifyServiceStatusChange(ctx context.Context, r *connect.Request[pb.NotifyRequest], stream *connect.ServerStream[pb.ServiceNotification]) error {
	ch, cancel, err := h.m.Watch(callerOf(ctx), r.Msg.Handle, r.Msg.Mask)
	if err != nil {
		return win32Error(err)
	}
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-ch:
			if err := stream.Send(n); err != nil {
				return nil
			}
		}
	}
}

func (h *handler) WaitServiceStatus(ctx context.Context, r *connect.Request[pb.WaitServiceStatusRequest]) (*connect.Response[pb.ServiceNotification], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.WaitServiceStatusRequest) (*pb.ServiceNotification, error) {
		return h.m.WaitServiceStatus(ctx, c, q)
	})
}

func (h *handler) RegisterEventSource(ctx context.Context, r *connect.Request[pb.RegisterEventSourceRequest]) (*connect.Response[pb.HandleReply], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.RegisterEventSourceRequest) (*pb.HandleReply, error) {
		return handleReply(h.m.RegisterEventSource(c, q.Machine, q.Source))
	})
}

func (h *handler) ReportEvent(ctx context.Context, r *connect.Request[pb.ReportEventRequest]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, h.m.ReportEvent)
}

func (h *handler) ReadEventLog(ctx context.Context, r *connect.Request[pb.ReadEventLogRequest]) (*connect.Response[pb.EventRecords], error) {
	return call(ctx, r, h.m.ReadEventLog)
}

func (h *handler) ClearEventLog(ctx context.Context, r *connect.Request[pb.ClearEventLogRequest]) (*connect.Response[pb.EventRecords], error) {
	return call(ctx, r, h.m.ClearEventLog)
}

func (h *handler) GetEventLogInfo(ctx context.Context, r *connect.Request[pb.LogRequest]) (*connect.Response[pb.EventLogInfo], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.LogRequest) (*pb.EventLogInfo, error) {
		return h.m.GetEventLogInfo(c, q.Log)
	})
}

func (h *handler) EnumEventLogs(ctx context.Context, r *connect.Request[pb.Empty]) (*connect.Response[pb.EventLogNames], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.Empty) (*pb.EventLogNames, error) {
		return h.m.EnumEventLogs(c), nil
	})
}

func (h *handler) EnumerateSessions(ctx context.Context, r *connect.Request[pb.Empty]) (*connect.Response[pb.SessionList], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.Empty) (*pb.SessionList, error) {
		return h.m.EnumerateSessions(c)
	})
}

func (h *handler) ProcessIdToSessionId(ctx context.Context, r *connect.Request[pb.ProcessRequest]) (*connect.Response[pb.SessionIdReply], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.ProcessRequest) (*pb.SessionIdReply, error) {
		id, err := h.m.ProcessIdToSessionId(c, q.Pid)
		if err != nil {
			return nil, err
		}
		return &pb.SessionIdReply{SessionId: id}, nil
	})
}

func (h *handler) WTSQueryUserToken(ctx context.Context, r *connect.Request[pb.SessionRequest]) (*connect.Response[pb.HandleReply], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.SessionRequest) (*pb.HandleReply, error) {
		return handleReply(h.m.WTSQueryUserToken(c, q.SessionId))
	})
}

func (h *handler) CreateProcessAsUser(ctx context.Context, r *connect.Request[pb.CreateProcessRequest]) (*connect.Response[pb.ProcessReply], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.CreateProcessRequest) (*pb.ProcessReply, error) {
		pid, err := h.m.CreateProcessAsUser(c, q.Token, q.Application, q.CommandLine, q.CurrentDirectory, q.Environment, q.HasEnvironment)
		if err != nil {
			return nil, err
		}
		return &pb.ProcessReply{Pid: pid}, nil
	})
}

func (h *handler) WTSSendMessage(ctx context.Context, r *connect.Request[pb.SendMessageRequest]) (*connect.Response[pb.SendMessageReply], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.SendMessageRequest) (*pb.SendMessageReply, error) {
		n, err := h.m.WTSSendMessage(ctx, c, q.SessionId, q.Title, q.Message, q.Style, q.Timeout, q.Wait)
		if err != nil {
			return nil, err
		}
		return &pb.SendMessageReply{Response: n}, nil
	})
}

func (h *handler) GetProcessWindowStation(ctx context.Context, r *connect.Request[pb.Empty]) (*connect.Response[pb.WindowStationInfo], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.Empty) (*pb.WindowStationInfo, error) {
		return h.m.GetProcessWindowStation(c)
	})
}

func (h *handler) WTSLogoffSession(ctx context.Context, r *connect.Request[pb.SessionRequest]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.SessionRequest) (*pb.Empty, error) {
		return empty(h.m.WTSLogoffSession(c, q.SessionId))
	})
}

func (h *handler) WTSDisconnectSession(ctx context.Context, r *connect.Request[pb.SessionRequest]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.SessionRequest) (*pb.Empty, error) {
		return empty(h.m.WTSDisconnectSession(c, q.SessionId))
	})
}

func (h *handler) FireCustomTrigger(ctx context.Context, r *connect.Request[pb.CustomTriggerRequest]) (*connect.Response[pb.Empty], error) {
	return call(ctx, r, func(c manager.Caller, q *pb.CustomTriggerRequest) (*pb.Empty, error) {
		return empty(h.m.FireCustom(c, q.Provider, q.Data))
	})
}

func (h *handler) GetDeviceInterfaces(ctx context.Context, r *connect.Request[pb.DeviceInterfacesRequest]) (*connect.Response[pb.DeviceInterfaces], error) {
	return call(ctx, r, h.m.GetDeviceInterfaces)
}

func (h *handler) RequestDeviceRemoval(ctx context.Context, r *connect.Request[pb.DeviceRemovalRequest]) (*connect.Response[pb.DeviceRemovalResult], error) {
	return call(ctx, r, h.m.RequestDeviceRemoval)
}
