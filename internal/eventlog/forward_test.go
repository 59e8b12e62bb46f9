package eventlog

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
)

func listenGram(t *testing.T) (string, *net.UnixConn) {
	path := filepath.Join(t.TempDir(), "sock")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return path, l
}

func TestForwardToJournal(t *testing.T) {
	path, l := listenGram(t)
	f := NewForwarder(path, "")
	defer f.Close()
	f.Send("System", &Record{RecordNumber: 3, EventID: 7034, Type: Error, Source: SCMSource, Strings: []string{"Spooler", "2"}})
	buf := make([]byte, 4096)
	n, err := l.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := string(buf[:n])
	for _, want := range []string{"MESSAGE=The Spooler service terminated unexpectedly.  It has done this 2 time(s).\n",
		"PRIORITY=3\n", "SCM_PROVIDER=Service Control Manager\n", "SCM_EVENT_ID=7034\n", "SCM_LOG=System\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
}

func TestForwardToSyslogWithoutJournal(t *testing.T) {
	path, l := listenGram(t)
	f := NewForwarder(filepath.Join(t.TempDir(), "no-journal"), path)
	defer f.Close()
	f.Send("Application", &Record{EventID: 1, Type: Information, Source: "app", Strings: []string{"line one\nline two"}})
	buf := make([]byte, 4096)
	n, _ := l.Read(buf)
	if got := string(buf[:n]); !strings.HasPrefix(got, "<30>") || !strings.HasSuffix(got, "scm: app 1: line one line two") {
		t.Errorf("syslog line %q", got)
	}
}
