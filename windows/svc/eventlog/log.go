package eventlog

import (
	"errors"
	"sync"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

// Log provides access to the system log.
type Log struct {
	Handle windows.Handle

	// What Open was given, to open the source again should scmd restart;
	// a Log made from a handle has neither, and is not reopened.
	host, source string
	mu           sync.Mutex // guards Handle when the source is opened again
}

// Open retrieves a handle to the specified event log. A source that was
// never installed writes to the Application log, as on Windows.
func Open(source string) (*Log, error) {
	return OpenRemote("", source)
}

// OpenRemote does the same as Open, but on different computer host.
func OpenRemote(host, source string) (*Log, error) {
	if source == "" {
		return nil, errors.New("Specify event log source")
	}
	r, err := client.Call(client.Shared().RegisterEventSource, &pb.RegisterEventSourceRequest{Machine: host, Source: source})
	if err != nil {
		return nil, err
	}
	return &Log{Handle: windows.Handle(r.Handle), host: host, source: source}, nil
}

// Close closes event log l.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := client.Call(client.Shared().CloseServiceHandle, &pb.HandleRequest{Handle: uint64(l.Handle)})
	return err
}

// report writes an event. A service outlives a restart of scmd, and its
// handle does not: on a failure the source is opened again, once, and the
// event written there.
func (l *Log) report(etype uint16, eid uint32, msg string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	req := &pb.ReportEventRequest{Type: uint32(etype), EventId: eid, Strings: []string{msg}}
	req.Handle = uint64(l.Handle)
	_, err := client.Call(client.Shared().ReportEvent, req)
	if code, ok := err.(windows.Errno); err == nil || ok && code != windows.ERROR_INVALID_HANDLE && code != windows.RPC_S_SERVER_UNAVAILABLE || l.source == "" {
		return err // written, refused for a reason of its own, or not ours to reopen
	}
	r, rerr := client.Call(client.Shared().RegisterEventSource, &pb.RegisterEventSourceRequest{Machine: l.host, Source: l.source})
	if rerr != nil {
		return err
	}
	l.Handle = windows.Handle(r.Handle)
	req.Handle = r.Handle
	_, err = client.Call(client.Shared().ReportEvent, req)
	return err
}

// Info writes an information event msg with event id eid to the end of
// event log l. When EventCreate.exe is used, eid must be between 1 and
// 1000.
func (l *Log) Info(eid uint32, msg string) error {
	return l.report(windows.EVENTLOG_INFORMATION_TYPE, eid, msg)
}

// Warning writes an warning event msg with event id eid to the end of
// event log l. When EventCreate.exe is used, eid must be between 1 and
// 1000.
func (l *Log) Warning(eid uint32, msg string) error {
	return l.report(windows.EVENTLOG_WARNING_TYPE, eid, msg)
}

// Error writes an error event msg with event id eid to the end of event log
// l. When EventCreate.exe is used, eid must be between 1 and 1000.
func (l *Log) Error(eid uint32, msg string) error {
	return l.report(windows.EVENTLOG_ERROR_TYPE, eid, msg)
}
