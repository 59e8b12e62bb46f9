package launch

import (
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
	f.RunningChanged(func() []string { return []string{"b", "a"} })
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
	path := filepath.Join(dir, "running.json")
	if err := os.WriteFile(path, []byte(`{"boot":"an earlier boot","running":["a","b"]}`), 0o600); err != nil {
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
