package eventlog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Default places of the system journal's and syslog's sockets.
const (
	JournalSocket = "/run/systemd/journal/socket"
	SyslogSocket  = "/dev/log"
)

// Forwarder copies every event to the system journal, with the provider
// and the event ID as fields, or to syslog where there is no journal, so
// Linux users find the SCM's events where they look.
type Forwarder struct {
	mu       sync.Mutex
	conn     *net.UnixConn
	journald bool
}

// NewForwarder connects to the journal's native socket if it exists, else
// to syslog's; nil if neither is there.
func NewForwarder(journal, syslog string) *Forwarder {
	for _, c := range []struct {
		path     string
		journald bool
	}{{journal, true}, {syslog, false}} {
		if c.path == "" {
			continue
		}
		if _, err := os.Stat(c.path); err != nil {
			continue
		}
		conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: c.path, Net: "unixgram"})
		if err == nil {
			return &Forwarder{conn: conn, journald: c.journald}
		}
	}
	return nil
}

// Close closes the socket.
func (f *Forwarder) Close() error { return f.conn.Close() }

// priority maps an event type to a syslog severity.
func priority(t uint16) int {
	switch t {
	case Error, AuditFailure:
		return 3
	case Warning:
		return 4
	}
	return 6
}

// Send forwards one event; a journal that is not listening loses it.
func (f *Forwarder) Send(log string, r *Record) {
	if f == nil {
		return
	}
	msg := Message(r)
	var b bytes.Buffer
	if f.journald {
		field := func(k, v string) {
			if !strings.Contains(v, "\n") {
				fmt.Fprintf(&b, "%s=%s\n", k, v)
				return
			}
			// Multi-line values go in the protocol's binary form.
			b.WriteString(k + "\n")
			binary.Write(&b, binary.LittleEndian, uint64(len(v)))
			b.WriteString(v + "\n")
		}
		field("MESSAGE", msg)
		field("PRIORITY", strconv.Itoa(priority(r.Type)))
		field("SYSLOG_IDENTIFIER", "scm")
		field("SCM_LOG", log)
		field("SCM_PROVIDER", r.Source)
		field("SCM_EVENT_ID", strconv.FormatUint(uint64(r.EventID), 10))
		field("SCM_RECORD_NUMBER", strconv.FormatUint(r.RecordNumber, 10))
	} else {
		const daemon = 3
		fmt.Fprintf(&b, "<%d>%s scm: %s %d: %s", daemon*8+priority(r.Type), time.Now().Format(time.Stamp),
			r.Source, r.EventID, strings.ReplaceAll(msg, "\n", " "))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	f.conn.Write(b.Bytes())
}
