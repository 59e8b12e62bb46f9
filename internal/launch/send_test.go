package launch

import (
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/windows"
)

// TestMain lets the test binary be a service process: with
// SCM_LAUNCH_TEST_HOST=echo it reads nothing until descriptor 4 closes,
// then sends back every packet it reads on its control channel.
func TestMain(m *testing.M) {
	if os.Getenv("SCM_LAUNCH_TEST_HOST") == "echo" {
		io.Copy(io.Discard, os.NewFile(4, "go-ahead"))
		buf := make([]byte, protocol.MaxMessage+1)
		for {
			n, err := syscall.Read(protocol.FD, buf)
			if err != nil || n == 0 {
				os.Exit(0)
			}
			syscall.Write(protocol.FD, buf[:n])
		}
	}
	os.Exit(m.Run())
}

// heard is what a launcher reports of one host's messages.
type heard struct {
	launched chan uint32
	messages chan any
	bad      chan error
	exited   chan int
}

func (h heard) Launched(_ core.ProcID, pid uint32)      { h.launched <- pid }
func (h heard) LaunchFailed(core.ProcID, windows.Errno) { h.launched <- 0 }
func (h heard) Message(_ core.ProcID, m any)            { h.messages <- m }
func (h heard) BadMessage(_ core.ProcID, err error)     { h.bad <- err }
func (h heard) Exited(_ core.ProcID, status int)        { h.exited <- status }

// echoHost starts the test binary as a host that echoes its messages once
// the returned file is closed.
func echoHost(t *testing.T) (*Launcher, heard, *os.File) {
	t.Helper()
	h := heard{launched: make(chan uint32, 1), messages: make(chan any, 4096), bad: make(chan error, 16), exited: make(chan int, 1)}
	l, err := New(h, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	l.Start(1, Spec{Service: "echo", Image: `"` + os.Args[0] + `"`, Env: []string{"SCM_LAUNCH_TEST_HOST=echo"}, Files: []*os.File{r}})
	if pid := <-h.launched; pid == 0 {
		t.Fatal("the host did not launch")
	}
	t.Cleanup(func() {
		w.Close()
		l.Kill(1)
		select {
		case <-h.exited:
		case <-time.After(10 * time.Second):
			t.Error("the host is not reported exited")
		}
		l.Close()
	})
	return l, h, w
}

// Messages to a host arrive in the order they were sent, those written at
// once and those its writer sends after its socket filled alike, also
// while the writer is catching up.
func TestSendKeepsOrderPastAFullSocket(t *testing.T) {
	l, h, goAhead := echoHost(t)
	seq := uint32(0)
	send := func() {
		seq++
		l.Send(1, &protocol.Control{Seq: seq, Service: "echo", Code: 4})
	}
	queued := func() int {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.procs[1].queued
	}
	// Until the socket is full, whatever it holds; then some for the
	// writer, and more while it catches up: never more than the queue
	// holds, however large the socket.
	for queued() == 0 {
		if seq == 100000 {
			t.Fatal("the socket never filled: the queue is not tested")
		}
		send()
	}
	for range 30 {
		send()
	}
	want := uint32(1)
	next := func() {
		select {
		case m := <-h.messages:
			if c, ok := m.(*protocol.Control); !ok || c.Seq != want {
				t.Fatalf("message %d: got %#v", want, m)
			}
			want++
		case err := <-h.bad:
			t.Fatal(err)
		case <-time.After(10 * time.Second):
			t.Fatalf("message %d never came back", want)
		}
	}
	goAhead.Close()
	next() // the host is reading: the socket has room again
	for range 150 {
		send()
	}
	for want <= seq {
		next()
	}
}

// A host that does not read is reported once its socket and queue are
// full; Send never waits for it.
func TestSendToAHostThatDoesNotRead(t *testing.T) {
	l, h, _ := echoHost(t)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := uint32(1); i <= 2000; i++ {
			l.Send(1, &protocol.Control{Seq: i, Service: "echo", Code: 4})
		}
	}()
	select {
	case <-sent:
	case <-time.After(10 * time.Second):
		t.Fatal("Send waits for a host that does not read")
	}
	select {
	case err := <-h.bad:
		t.Log(err)
	case <-time.After(10 * time.Second):
		t.Fatal("a host that reads nothing was not reported")
	}
}

// The start time a launched host's tokens bind it to is the one /proc
// gives it, whether it came from the clock around the fork or from /proc.
func TestLaunchedStartTime(t *testing.T) {
	l, _, _ := echoHost(t)
	l.mu.Lock()
	pid := l.procs[1].pid
	l.mu.Unlock()
	if got, want := l.StartTime(1), procStartTime(t, pid); got != want {
		t.Fatalf("start time %d, /proc says %d", got, want)
	}
}

func procStartTime(t *testing.T, pid int) uint64 {
	t.Helper()
	start, err := StartTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	return start
}
