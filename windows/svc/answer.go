package svc

import (
	"runtime"
	"unsafe"

	"github.com/openscm/scm/internal/protocol"
)

// BROADCAST_QUERY_DENY is the answer with which a Windows HandlerEx refuses
// a DBT_DEVICEQUERYREMOVE (or any query broadcast).
const BROADCAST_QUERY_DENY = 0x424D5144

// A ControlAnswerer is a Handler that answers controls itself, as the
// return value of a Windows HandlerEx does. This is an extension of this
// module: x/sys's dispatcher answers every control NO_ERROR as it queues it,
// so an x/sys service cannot veto.
//
// The dispatcher calls AnswerControl before it hands a control to Execute,
// on its own goroutine, so AnswerControl must be safe to call while Execute
// runs and must return quickly (the SCM gives it 30 seconds). A non-zero
// answer goes back to the SCM, and through it to whoever sent the control,
// and the control is not passed on to Execute; zero lets it through as
// usual. A service vetoes a device removal by answering
// BROADCAST_QUERY_DENY to DeviceEvent with EventType DBT_DEVICEQUERYREMOVE.
type ControlAnswerer interface {
	Handler
	AnswerControl(r ChangeRequest) uint32
}

// answer asks the service's handler for its answer to a control, if it
// gives one.
func (s *service) answer(ev ctlEvent) uint32 {
	a, ok := s.handler.(ControlAnswerer)
	if !ok {
		return 0
	}
	r := ChangeRequest{Cmd: ev.cmd, EventType: ev.eventType, Context: ev.context, CurrentStatus: statusOf(s.last())}
	if len(ev.eventData) > 0 {
		r.EventData = uintptr(unsafe.Pointer(&ev.eventData[0]))
	}
	code := a.AnswerControl(r)
	runtime.KeepAlive(ev.eventData)
	return code
}

// statusOf is the Status a protocol status message reports.
func statusOf(t protocol.Status) Status {
	return Status{
		State:                   State(t.CurrentState),
		Accepts:                 Accepted(t.ControlsAccepted),
		CheckPoint:              t.CheckPoint,
		WaitHint:                t.WaitHint,
		Win32ExitCode:           t.Win32ExitCode,
		ServiceSpecificExitCode: t.ServiceSpecificExitCode,
	}
}
