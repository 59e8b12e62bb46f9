package wrap

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotateBySizeKeepsTheNewest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	c := Defaults()
	c.RotateOnline, c.RotateBytes, c.RotateKeep = true, 100, 3
	l, err := OpenLog(path, &c, false)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 39) + "\n"
	for i := 0; i < 40; i++ {
		if _, err := l.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	rotated := Rotated(path)
	if len(rotated) != 3 {
		t.Fatalf("rotated files: %v", rotated)
	}
	total := 0
	for _, p := range append(rotated, path) {
		b, _ := os.ReadFile(p)
		if len(b) > 100 {
			t.Errorf("%s has %d bytes, over the rotation size", p, len(b))
		}
		total += len(b)
	}
	if total != 4*80 {
		t.Errorf("kept %d bytes, want the newest %d", total, 4*80)
	}
}

func TestRotateAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	os.WriteFile(path, []byte("from the last run\n"), 0o644)
	c := Defaults()
	c.RotateFiles = true
	l, err := OpenLog(path, &c, true)
	if err != nil {
		t.Fatal(err)
	}
	l.Write([]byte("new\n"))
	l.Close()
	if r := Rotated(path); len(r) != 1 {
		t.Fatalf("rotated: %v", r)
	}
	if b, _ := os.ReadFile(path); string(b) != "new\n" {
		t.Errorf("current file %q", b)
	}
}

func TestRotateCutsBigWritesAtLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	c := Defaults()
	c.RotateOnline, c.RotateBytes = true, 100
	l, err := OpenLog(path, &c, false)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for i := 0; i < 50; i++ {
		all.WriteString(strings.Repeat("y", 29) + "\n")
	}
	if n, err := l.Write([]byte(all.String())); err != nil || n != all.Len() {
		t.Fatal(n, err)
	}
	l.Close()
	total := 0
	for _, p := range append(Rotated(path), path) {
		b, _ := os.ReadFile(p)
		if len(b) > 100 || (len(b) > 0 && b[len(b)-1] != '\n') {
			t.Errorf("%s: %d bytes, ends %q", p, len(b), b[len(b)-1:])
		}
		total += len(b)
	}
	if total != all.Len() {
		t.Errorf("%d bytes kept of %d", total, all.Len())
	}
}
