package e2e

import (
	"flag"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc/mgr"
)

// killRounds is how many times TestKillDuringWrites kills scmd: a few in
// the suite, 250 in the long run docs/reliability.md describes.
var killRounds = flag.Int("kill-rounds", 8, "SIGKILLs of scmd in TestKillDuringWrites")

// TestKillDuringWrites SIGKILLs scmd in the middle of a stream of
// configuration writes, again and again, and checks after each restart that
// the database opens and every write scmd acknowledged is there.
func TestKillDuringWrites(t *testing.T) {
	state := t.TempDir()
	sock := filepath.Join(t.TempDir(), "scm.sock")
	t.Setenv("SCM_SOCKET", sock)
	acked := map[string]string{} // service → the description last acknowledged
	total := 0                   // acknowledgements, over all rounds
	rounds := *killRounds
	if testing.Short() {
		rounds = 3
	}
	for round := 0; round < rounds; round++ {
		cmd := startSCMD(t, state, sock)
		verify(t, round, acked)

		m, err := mgr.Connect()
		if err != nil {
			t.Fatal(err)
		}
		// Writers keep writing while the kill lands after a number of
		// acknowledgements that differs each round.
		killAfter := 20 + 13*(round%20)
		done := make(chan struct{})
		results := make(chan [2]string, 1000)
		go func() {
			defer close(results)
			for i := 0; ; i++ {
				name := fmt.Sprintf("svc%d", i%25)
				desc := fmt.Sprintf("round %d write %d", round, i)
				s, err := m.OpenService(name)
				if err == windows.ERROR_SERVICE_DOES_NOT_EXIST {
					s, err = m.CreateService(name, "/bin/true", mgr.Config{Description: desc})
					if err == nil {
						results <- [2]string{name, desc}
						s.Close()
						continue
					}
				}
				if err != nil {
					return
				}
				c, err := s.Config()
				if err == nil {
					c.Description = desc
					err = s.UpdateConfig(c)
				}
				s.Close()
				if err != nil {
					return
				}
				results <- [2]string{name, desc}
			}
		}()
		n := 0
		for r := range results {
			acked[r[0]] = r[1]
			n++
			if n == killAfter {
				cmd.Process.Kill()
				cmd.Wait()
				close(done)
			}
		}
		<-done
		total += n
		m.Disconnect()
	}
	cmd := startSCMD(t, state, sock)
	verify(t, rounds, acked)
	t.Logf("%d SIGKILLs of scmd during %d acknowledged writes: none lost", rounds, total)
	cmd.Process.Kill()
	cmd.Wait()
}

func startSCMD(t testing.TB, state, sock string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "scmd"), "--state-dir", state, "--socket", sock)
	t.Cleanup(func() { removeSCMCgroupDirs(sock) }) // after the stop: an scmd killed last leaves its directory
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopSCMD(cmd) })
	waitForSocketT(t, sock)
	return cmd
}

func verify(t *testing.T, round int, acked map[string]string) {
	t.Helper()
	m, err := mgr.Connect()
	if err != nil {
		t.Fatalf("round %d: database did not open: %v", round, err)
	}
	defer m.Disconnect()
	for name, want := range acked {
		s, err := m.OpenService(name)
		if err != nil {
			t.Fatalf("round %d: acknowledged service %s lost: %v", round, name, err)
		}
		c, err := s.Config()
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		// A write after the last acknowledgement may have landed too: the
		// description is the acknowledged one or a later one of that round.
		if c.Description != want && !later(c.Description, want) {
			t.Fatalf("round %d: %s has %q, acknowledged %q", round, name, c.Description, want)
		}
	}
}

// later reports whether description got was written after want.
func later(got, want string) bool {
	var gr, gi, wr, wi int
	if _, err := fmt.Sscanf(got, "round %d write %d", &gr, &gi); err != nil {
		return false
	}
	if _, err := fmt.Sscanf(want, "round %d write %d", &wr, &wi); err != nil {
		return false
	}
	return gr > wr || gr == wr && gi > wi
}
