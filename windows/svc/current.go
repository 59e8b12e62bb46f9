package svc

import (
	"sync/atomic"
	"unsafe"
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
