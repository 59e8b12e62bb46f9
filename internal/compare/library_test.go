package compare

import (
	"bufio"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/windows"
	"golang.org/x/sys/unix"
)

// BenchmarkServiceLibrary is what building a service on windows/svc costs
// over the same Go program without it: the launch until the program says
// it runs, and its resident memory then. scmsvc is readysvc's counterpart
// on windows/svc; the benchmark stands in for scmd at the other end of its
// control channel (register, start request, status RUNNING), so that no
// part of the SCM is measured, only the library.
func BenchmarkServiceLibrary(b *testing.B) {
	var plain, lib samples
	var plainRSS, libRSS []int
	for i := 0; i < b.N; i++ {
		cmd, d := floorStart(b)
		plain = append(plain, d)
		plainRSS = append(plainRSS, rssKiB(b, cmd.Process.Pid))
		floorStop(b, cmd)

		cmd, channel, d := libraryStart(b)
		lib = append(lib, d)
		libRSS = append(libRSS, rssKiB(b, cmd.Process.Pid))
		channel.Close() // the service's SCM gone, it exits
		waitCmd(b, cmd, stepTimeout)
	}
	b.ReportMetric(micros(plain.pct(50)), "plain-p50-µs")
	b.ReportMetric(micros(lib.pct(50)), "svc-p50-µs")
	b.ReportMetric(float64(lib.pct(50))/float64(plain.pct(50)), "x-plain")
	b.ReportMetric(float64(medianInt(plainRSS))/1024, "plain-rss-MiB")
	b.ReportMetric(float64(medianInt(libRSS)-medianInt(plainRSS))/1024, "svc-extra-rss-MiB")
}

// libraryStart runs scmsvc on a control channel of the benchmark's own and
// returns once it has reported RUNNING, with the benchmark's end of the
// channel, which the service runs as long as.
func libraryStart(b *testing.B) (*exec.Cmd, *os.File, time.Duration) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "scm"), os.NewFile(uintptr(fds[1]), "service")
	cmd := exec.Command(bin(b, "scmsvc"))
	cmd.ExtraFiles = []*os.File{theirs}
	cmd.Env = []string{protocol.EnvFD + "=3"}
	t0 := time.Now()
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		b.Fatal(err)
	}
	running := false
	defer func() {
		if !running { // the benchmark failed: nothing is left behind
			ours.Close()
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	ours.SetReadDeadline(time.Now().Add(stepTimeout))
	buf := make([]byte, protocol.MaxMessage)
	for {
		n, err := ours.Read(buf)
		if err != nil {
			b.Fatalf("scmsvc: %v", err)
		}
		msg, err := protocol.Decode(buf[:n])
		if err != nil {
			b.Fatalf("scmsvc: %v", err)
		}
		switch m := msg.(type) {
		case *protocol.Register:
			start, _ := protocol.Encode(&protocol.Start{Service: m.Services[0], Args: m.Services[:1]})
			if _, err := ours.Write(start); err != nil {
				b.Fatal(err)
			}
		case *protocol.Status:
			if m.CurrentState == windows.SERVICE_RUNNING {
				running = true
				return cmd, ours, time.Since(t0)
			}
		}
	}
}

// rssKiB is a process's resident memory.
func rssKiB(b *testing.B, pid int) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	b.Fatalf("no VmRSS for process %d", pid)
	return 0
}

func medianInt(v []int) int {
	c := slices.Clone(v)
	slices.Sort(c)
	return c[len(c)/2]
}
