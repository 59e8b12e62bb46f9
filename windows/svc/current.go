package svc

import (
	"sync/atomic"
	"unsafe"

	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/internal/statushook"
	"github.com/openscm/scm/windows"
)

// current is the service whose ServiceMain ran last: upstream keeps one
// service per process for StatusHandle and DynamicStartReason, and so do
// they here.
var current atomic.Pointer[service]

// eventData passes a control's event data to the handler as upstream does,
// as a pointer to it (0 when there is none).
func eventData(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	keep := append([]byte(nil), b...)
	retained.Store(&keep)
	return uintptr(unsafe.Pointer(&keep[0]))
}

// retained keeps the last event data alive while the handler may read it.
var retained atomic.Pointer[[]byte]

// windows.SetServiceStatus reaches the current service through here: a
// status set with the raw call goes to the SCM as one from the handler's
// channel does.
func init() {
	statushook.SetServiceStatus = func(handle uintptr, status any) error {
		s := current.Load()
		st, ok := status.(*windows.SERVICE_STATUS)
		if s == nil || !ok || windows.Handle(handle) != StatusHandle() {
			return windows.ERROR_INVALID_HANDLE
		}
		t := protocol.Status{Service: s.name, SERVICE_STATUS: *st}
		s.statusMu.Lock()
		s.status = t
		s.statusMu.Unlock()
		return s.d.send(&t)
	}
}
