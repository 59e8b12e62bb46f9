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
	conn   *client.Conn

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
	conn := client.Dial(client.SocketPath())
	r, err := client.Call(conn.RegisterEventSource, &pb.RegisterEventSourceRequest{Machine: host, Source: source})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &Log{Handle: windows.Handle(r.Handle), conn: conn, host: host, source: source}, nil
}

// Close closes event log l.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := client.Call(l.conn.CloseServiceHandle, &pb.HandleRequest{Handle: uint64(l.Handle)})
	l.conn.Close()
	return err
}

// report writes an event. A service outlives a restart of scmd, and its
// handle does not: on a failure the source is opened again, once, on a
// fresh connection, and the event written there.
func (l *Log) report(etype uint16, eid uint32, msg string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	req := &pb.ReportEventRequest{Type: uint32(etype), EventId: eid, Strings: []string{msg}}
	req.Handle = uint64(l.Handle)
	_, err := client.Call(l.conn.ReportEvent, req)
	if code, ok := err.(windows.Errno); err == nil || ok && code != windows.ERROR_INVALID_HANDLE && code != windows.RPC_S_SERVER_UNAVAILABLE {
		return err // written, or refused for a reason of its own
	}
	conn := client.Dial(client.SocketPath())
	r, rerr := client.Call(conn.RegisterEventSource, &pb.RegisterEventSourceRequest{Machine: l.host, Source: l.source})
	if rerr != nil {
		conn.Close()
		return err
	}
	l.conn.Close()
	l.conn, l.Handle = conn, windows.Handle(r.Handle)
	req.Handle = r.Handle
	_, err = client.Call(l.conn.ReportEvent, req)
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
