package launch

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The running list a restarted scmd reads is the one its predecessor
// wrote in the same boot; one written before the machine restarted lists
// nothing that runs.
func TestRunningListIsThisBoots(t *testing.T) {
	dir := t.TempDir()
	f, running, err := OpenAdoptionFile(dir, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if len(running) != 0 {
		t.Fatalf("a new state directory lists %v as running", running)
	}
	f.SetRunning("b", true)
	f.SetRunning("a", true)
	f.WaitRecorded()

	_, running, err = OpenAdoptionFile(dir, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(running, []string{"a", "b"}) {
		t.Fatalf("after a restart of scmd, running = %v, want [a b]", running)
	}

	if bootID() == "" {
		t.Skip("the kernel gives no boot id")
	}
	path := filepath.Join(dir, logName)
	if err := os.WriteFile(path, []byte("boot an earlier boot\n+\"a\"\n+\"b\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, running, err = OpenAdoptionFile(dir, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if len(running) != 0 {
		t.Fatalf("after a restart of the machine, running = %v, want none", running)
	}
}

// The log says what the last changes left running, whatever their number:
// it is rewritten with the set alone as it grows, and never holds much
// more than twice the set.
func TestRunningLogStaysSmall(t *testing.T) {
	dir := t.TempDir()
	f, _, err := OpenAdoptionFile(dir, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for round := range 50 {
		for i := range 20 {
			name := fmt.Sprintf("Svc%02d", i)
			on := (i+round)%3 != 0
			f.SetRunning(name, on)
			want[name] = on
		}
		f.WaitRecorded()
		b, err := os.ReadFile(filepath.Join(dir, logName))
		if err != nil {
			t.Fatal(err)
		}
		if lines := bytes.Count(b, []byte("\n")); lines > 1+2*20+64+20 {
			t.Fatalf("round %d: the log has %d lines for 20 services", round, lines)
		}
	}
	_, running, err := OpenAdoptionFile(dir, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n, on := range want {
		if on {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if !slices.Equal(running, names) {
		t.Fatalf("running = %v, want %v", running, names)
	}
}

// A line a crash cut short is skipped; a name is matched without regard
// to case, as the SCM matches names; a name with a line break in it
// stays one line.
func TestRunningLogReplay(t *testing.T) {
	boot, running := parseRunning([]byte("boot B\n+\"a\"\n+\"B\\nC\"\n+\"c\"\n-\"A\"\n+\"d"))
	if boot != "B" || !slices.Equal(running, []string{"B\nC", "c"}) {
		t.Fatalf("boot %q running %q, want B [\"B\\nC\" c]", boot, running)
	}
}

// A state directory from before running.log has running.json: its list
// is read, and the file goes once running.log is written.
func TestRunningJSONRead(t *testing.T) {
	dir := t.TempDir()
	legacy := filepath.Join(dir, "running.json")
	if err := os.WriteFile(legacy, []byte(`{"boot":"`+bootID()+`","running":["a","b"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	f, running, err := OpenAdoptionFile(dir, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(running, []string{"a", "b"}) {
		t.Fatalf("running = %v, want [a b]", running)
	}
	f.SetRunning("a", true)
	f.WaitRecorded()
	if _, err := os.Stat(legacy); !os.IsNotExist(err) {
		t.Fatalf("running.json is still there: %v", err)
	}
}
