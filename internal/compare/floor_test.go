package compare

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The floors: what a step costs with no supervisor at all, the benchmark
// itself doing the least a supervisor must do.

// floorStart forks and execs readysvc and returns once it has said it is
// ready, one byte on a pipe it inherits; the process runs on.
func floorStart(b *testing.B) (*exec.Cmd, time.Duration) {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(bin(b, "readysvc"), "-ready-fd", "3")
	cmd.ExtraFiles = []*os.File{w}
	t0 := time.Now()
	err = cmd.Start()
	w.Close()
	if err != nil {
		b.Fatal(err)
	}
	readReady(b, r, 1)
	return cmd, time.Since(t0)
}

// readReady reads n readiness bytes from r, failing the benchmark if they
// do not all come in time.
func readReady(b *testing.B, r *os.File, n int) {
	r.SetReadDeadline(time.Now().Add(stepTimeout + time.Duration(n)*20*time.Millisecond))
	buf := make([]byte, 4096)
	for got := 0; got < n; {
		k, err := r.Read(buf)
		if err != nil {
			b.Fatalf("%d of %d floor processes said they were ready: %v", got, n, err)
		}
		got += k
	}
}

// floorStop stops a floor process with SIGTERM and returns once it is
// reaped.
func floorStop(b *testing.B, cmd *exec.Cmd) time.Duration {
	t0 := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	waitCmd(b, cmd, stepTimeout)
	return time.Since(t0)
}

// floorStartUp is the floor of a start: fork, exec, ready.
func floorStartUp(b *testing.B) time.Duration {
	cmd, d := floorStart(b)
	floorStop(b, cmd)
	return d
}

// floorStopReaped is the floor of a stop: SIGTERM until reaped.
func floorStopReaped(b *testing.B) time.Duration {
	cmd, _ := floorStart(b)
	return floorStop(b, cmd)
}

// floorExec is the floor of a command-line tool: fork, exec and reap of
// a program that does nothing, run the way the tools are run.
func floorExec(b *testing.B) func(b *testing.B) time.Duration {
	p, err := exec.LookPath("true")
	if err != nil {
		b.Fatal(err)
	}
	return func(b *testing.B) time.Duration {
		t0 := time.Now()
		runCLI(b, p)
		return time.Since(t0)
	}
}

// floorAsk is the floor of a status asked in-process: one packet to
// another process and its answer back, over a socketpair.
func floorAsk(b *testing.B) func(b *testing.B) time.Duration {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	theirs := os.NewFile(uintptr(fds[1]), "echo")
	cmd := exec.Command(bin(b, "readysvc"), "-echo-fd", "3")
	cmd.ExtraFiles = []*os.File{theirs}
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		unix.Close(fds[0])
		waitCmd(b, cmd, stepTimeout)
	})
	buf := make([]byte, 64)
	return func(b *testing.B) time.Duration {
		t0 := time.Now()
		if _, err := unix.Write(fds[0], []byte("status?")); err != nil {
			b.Fatal(err)
		}
		if n, err := unix.Read(fds[0], buf); n != 7 || err != nil {
			b.Fatal("no echo:", n, err)
		}
		return time.Since(t0)
	}
}

// floorBoot starts n readysvc processes and returns once every one has
// said it is ready, with the processes, which run on.
func floorBoot(b *testing.B, n int) ([]*exec.Cmd, time.Duration) {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	cmds := make([]*exec.Cmd, n)
	path := bin(b, "readysvc")
	t0 := time.Now()
	for i := range cmds {
		cmds[i] = exec.Command(path, "-ready-fd", "3")
		cmds[i].ExtraFiles = []*os.File{w}
		if err := cmds[i].Start(); err != nil {
			w.Close()
			for _, c := range cmds[:i] {
				floorStop(b, c)
			}
			b.Fatal(err)
		}
	}
	w.Close()
	readReady(b, r, n)
	return cmds, time.Since(t0)
}
