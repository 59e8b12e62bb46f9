package windows

import (
	"io"
	"reflect"
	"sync"
	"time"
	"unicode/utf16"
	"unsafe"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
)

// NotifyServiceStatusChange delivers its notification as an asynchronous
// procedure call: the callback runs when the program next waits
// alertably (SleepEx with alertable set). Windows queues an APC to the
// thread that asked; goroutines are not threads, so here the queue is the
// process's and any alertable wait runs what is in it.

// SERVICE_NOTIFY_STATUS_CHANGE is the one version of SERVICE_NOTIFY.
const SERVICE_NOTIFY_STATUS_CHANGE = 2

// SERVICE_NOTIFY is what NotifyServiceStatusChange fills before it calls
// back: the status that matched the mask and which notification it was.
type SERVICE_NOTIFY struct {
	Version               uint32
	NotifyCallback        uintptr
	Context               uintptr
	NotificationStatus    uint32
	ServiceStatus         SERVICE_STATUS_PROCESS
	NotificationTriggered uint32
	ServiceNames          *uint16
}

// Results of the wait functions.
const (
	WAIT_OBJECT_0      = 0x00000000
	WAIT_ABANDONED     = 0x00000080
	WAIT_IO_COMPLETION = 0x000000C0
	WAIT_FAILED        = 0xFFFFFFFF
)

// maxCallbacks is Windows' limit on NewCallback, which never frees one.
const maxCallbacks = 2000

var callbacks struct {
	sync.Mutex
	fns []reflect.Value
}

// callbackBase tags the values NewCallback returns, so a stray integer is
// not taken for one.
const callbackBase = 0x5C0000

// NewCallback makes fn callable as a callback: the value it returns is
// what SERVICE_NOTIFY's NotifyCallback takes. fn takes one pointer-sized
// argument and returns one pointer-sized result, as on Windows.
func NewCallback(fn interface{}) uintptr {
	v := reflect.ValueOf(fn)
	t := v.Type()
	if t.Kind() != reflect.Func || t.NumIn() != 1 || t.NumOut() != 1 || t.In(0).Size() != unsafe.Sizeof(uintptr(0)) || t.Out(0).Size() != unsafe.Sizeof(uintptr(0)) {
		panic("compileCallback: expected function with one uintptr-sized argument and one uintptr-sized result")
	}
	callbacks.Lock()
	defer callbacks.Unlock()
	if len(callbacks.fns) >= maxCallbacks {
		panic("too many callback functions")
	}
	callbacks.fns = append(callbacks.fns, v)
	return uintptr(callbackBase + len(callbacks.fns) - 1)
}

// NewCallbackCDecl is NewCallback: Linux has one calling convention.
func NewCallbackCDecl(fn interface{}) uintptr { return NewCallback(fn) }

func callback(p uintptr) (reflect.Value, bool) {
	callbacks.Lock()
	defer callbacks.Unlock()
	i := int(p) - callbackBase
	if i < 0 || i >= len(callbacks.fns) {
		return reflect.Value{}, false
	}
	return callbacks.fns[i], true
}

// call runs a callback with arg as its pointer-sized argument.
func call(fn reflect.Value, arg unsafe.Pointer) {
	in := fn.Type().In(0)
	var v reflect.Value
	if in.Kind() == reflect.Pointer || in.Kind() == reflect.UnsafePointer {
		v = reflect.NewAt(in, unsafe.Pointer(&arg)).Elem()
	} else {
		v = reflect.ValueOf(uintptr(arg)).Convert(in)
	}
	fn.Call([]reflect.Value{v})
}

// apcs is the process's queue of asynchronous procedure calls.
var apcs = make(chan func(), 64)

// SleepEx waits milliseconds (INFINITE: for ever). If alertable, queued
// callbacks end the wait: they run, and SleepEx returns
// WAIT_IO_COMPLETION; otherwise it returns 0 when the time is up.
func SleepEx(milliseconds uint32, alertable bool) (ret uint32) {
	var timeout <-chan time.Time
	if milliseconds != INFINITE {
		t := time.NewTimer(time.Duration(milliseconds) * time.Millisecond)
		defer t.Stop()
		timeout = t.C
	}
	if !alertable {
		if timeout == nil {
			select {}
		}
		<-timeout
		return 0
	}
	select {
	case f := <-apcs:
		f()
		for {
			select {
			case f := <-apcs:
				f()
			default:
				return WAIT_IO_COMPLETION
			}
		}
	case <-timeout:
		return 0
	}
}

// NotifyServiceStatusChange asks for one callback when a service enters
// one of the states notifyMask names (SERVICE_NOTIFY_*), at once if it is
// in one already; or, on the SCM's handle, when services are created or
// deleted (SERVICE_NOTIFY_CREATED, SERVICE_NOTIFY_DELETED), with their
// names in ServiceNames, created ones prefixed by "/". The callback gets
// notifier, filled in. A service marked for deletion fails the call with
// ERROR_SERVICE_MARKED_FOR_DELETE; one marked while the request waits
// calls back with that NotificationStatus.
func NotifyServiceStatusChange(service Handle, notifyMask uint32, notifier *SERVICE_NOTIFY) (ret error) {
	if notifier == nil || notifier.Version != SERVICE_NOTIFY_STATUS_CHANGE || notifyMask == 0 {
		return ERROR_INVALID_PARAMETER
	}
	fn, ok := callback(notifier.NotifyCallback)
	if !ok {
		return ERROR_INVALID_PARAMETER
	}
	stream, err := scm().NotifyServiceStatusChange(&pb.NotifyRequest{Handle: uint64(service), Mask: notifyMask | SERVICE_NOTIFY_DELETE_PENDING})
	if err != nil {
		return client.Errno(err)
	}
	// The first message says the request holds: the service's status now,
	// or nothing for the SCM. Errors come instead of it.
	first, err := stream.Recv()
	if err != nil {
		stream.Close()
		if err == io.EOF {
			return RPC_S_SERVER_UNAVAILABLE
		}
		return client.Errno(err)
	}
	go func() {
		defer stream.Close()
		for n := first; ; {
			if n.Notification&notifyMask != 0 || n.Notification == SERVICE_NOTIFY_DELETE_PENDING {
				apcs <- func() { deliver(notifier, n, fn) }
				return
			}
			if n, err = stream.Recv(); err != nil {
				return // the handle was closed, or scmd went: the request goes with it
			}
		}
	}()
	return nil
}

// deliver fills the notifier with what happened and calls back.
func deliver(notifier *SERVICE_NOTIFY, n *pb.ServiceNotification, fn reflect.Value) {
	notifier.NotificationStatus = 0
	notifier.NotificationTriggered = n.Notification
	notifier.ServiceNames = nil
	switch n.Notification {
	case SERVICE_NOTIFY_DELETE_PENDING:
		notifier.NotificationStatus = uint32(ERROR_SERVICE_MARKED_FOR_DELETE)
	case SERVICE_NOTIFY_CREATED:
		notifier.ServiceNames = &append(utf16.Encode([]rune("/"+n.ServiceName)), 0, 0)[0]
	case SERVICE_NOTIFY_DELETED:
		notifier.ServiceNames = &append(utf16.Encode([]rune(n.ServiceName)), 0, 0)[0]
	}
	if st := n.Status; st != nil {
		notifier.ServiceStatus = SERVICE_STATUS_PROCESS{
			ServiceType: st.ServiceType, CurrentState: st.CurrentState, ControlsAccepted: st.ControlsAccepted,
			Win32ExitCode: st.Win32ExitCode, ServiceSpecificExitCode: st.ServiceSpecificExitCode,
			CheckPoint: st.CheckPoint, WaitHint: st.WaitHint, ProcessId: st.ProcessId, ServiceFlags: st.ServiceFlags,
		}
	}
	call(fn, unsafe.Pointer(notifier))
}
