package cmdline

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestSplitCommandLine(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{`/bin/svc`, []string{"/bin/svc"}},
		{`"/opt/my app/svc" -x "a b"`, []string{"/opt/my app/svc", "-x", "a b"}},
		{`svc a\\b a\"b "a\\"b`, []string{"svc", `a\\b`, `a"b`, `a\b`}},
		{`svc "a""b" c`, []string{"svc", `a"b`, "c"}},
		{`svc  	 x`, []string{"svc", "x"}},
		{`C:\dir\svc.exe "C:\path with\"`, []string{`C:\dir\svc.exe`, `C:\path with"`}},
		{`svc ""`, []string{"svc", ""}},
	}
	for _, c := range cases {
		if got := Split(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Split(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestResolveUnquotedPathWithSpaces(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "my app", "svc")
	os.MkdirAll(filepath.Dir(prog), 0o755)
	os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755)
	got, err := ResolveImage(prog + " --port 80")
	if err != nil || !reflect.DeepEqual(got, []string{prog, "--port", "80"}) {
		t.Errorf("got %q, %v", got, err)
	}
	// Shortest first, as CreateProcess: a program at the shorter path wins.
	short := filepath.Join(dir, "my")
	os.WriteFile(short, []byte("#!/bin/sh\n"), 0o755)
	got, _ = ResolveImage(prog + " --port 80")
	if got[0] != short || got[1] != "app/svc" {
		t.Errorf("with %s present: %q", short, got)
	}
	t.Setenv("SCMTESTDIR", dir)
	if got, _ := ResolveImage(`"%SCMTESTDIR%/my app/svc" %NOPE%`); got[0] != prog || got[1] != "%NOPE%" {
		t.Errorf("expansion: %q", got)
	}
}

func FuzzSplitCommandLine(f *testing.F) {
	f.Add(`"/opt/a b/c" x\"y "z \\" w`)
	f.Fuzz(func(t *testing.T, s string) {
		args := Split(s)
		if len(args) == 0 {
			t.Fatal("no argv[0]")
		}
	})
}

func FuzzQuoteArgRoundTrip(f *testing.F) {
	f.Add(`a b\"c\\`)
	f.Fuzz(func(t *testing.T, s string) {
		got := Split("prog " + Quote(s))
		if len(got) != 2 || got[1] != s {
			t.Fatalf("%q quoted as %q reads back as %q", s, Quote(s), got)
		}
	})
}
