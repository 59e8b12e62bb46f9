package scmtest

import (
	"encoding/json"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Upstream runs golang.org/x/sys's own tests of one of its Windows packages
// (pkg, as "windows/registry") against this module's package of the same
// path: they are taken from the module cache (x/sys is a dependency), their
// import prefix changed and their build constraint dropped, put beside the
// package's files with go test's -overlay, and run against the scmd of
// SCM_SOCKET. The package's own test files (own) step aside, the
// declarations in skip (tests that need Windows' own services or keys, and
// their helpers) are left out, and each test of want must pass. env is
// added to the test's environment. Nothing of upstream's is kept in this
// repository.
func Upstream(t *testing.T, pkg string, own []string, skip map[string]bool, want []string, env ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs another test binary")
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/sys").Output()
	if err != nil {
		t.Fatalf("finding golang.org/x/sys: %v", err)
	}
	upstream := filepath.Join(strings.TrimSpace(string(out)), filepath.FromSlash(pkg))
	here, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	overlay := map[string]string{}
	for _, name := range own {
		overlay[filepath.Join(here, name)] = ""
	}
	files, err := filepath.Glob(filepath.Join(upstream, "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no tests in %s: %v", upstream, err)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(file)
		dst := filepath.Join(tmp, name)
		if err := os.WriteFile(dst, port(t, name, src, skip), 0o644); err != nil {
			t.Fatal(err)
		}
		overlay[filepath.Join(here, "xsys_"+name)] = dst
	}
	b, _ := json.Marshal(map[string]any{"Replace": overlay})
	overlayFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "test", "-count=1", "-overlay", overlayFile, "-v", ".")
	cmd.Env = append(os.Environ(), env...)
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("x/sys's %s tests: %v\n%s", pkg, err, got)
	}
	for _, test := range want {
		if !strings.Contains(string(got), "--- PASS: "+test+" ") {
			t.Errorf("%s did not pass:\n%s", test, got)
		}
	}
}

// port is an upstream test file with the import prefix changed, its build
// constraint dropped, syscall's Windows-only names taken from windows, and
// the declarations of skip taken out.
func port(t *testing.T, name string, src []byte, skip map[string]bool) []byte {
	text := strings.ReplaceAll(string(src), `"golang.org/x/sys/windows`, `"github.com/openscm/scm/windows`)
	text = strings.Replace(text, "//go:build windows", "", 1)
	// syscall's Windows-only names, which windows has.
	text = strings.ReplaceAll(text, "syscall.INFINITE", "windows.INFINITE")
	text = strings.ReplaceAll(text, "syscall.ERROR_", "windows.ERROR_")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, text, parser.ParseComments)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var kept []ast.Decl
	for _, d := range f.Decls {
		if !declares(d, skip) {
			kept = append(kept, d)
		}
	}
	f.Decls = kept
	var b strings.Builder
	if err := format.Node(&b, fset, f); err != nil {
		t.Fatal(err)
	}
	return dropUnusedImports(t, name, b.String())
}

func declares(d ast.Decl, names map[string]bool) bool {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return names[d.Name.Name]
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				return names[s.Name.Name]
			case *ast.ValueSpec:
				return names[s.Names[0].Name]
			}
		}
	}
	return false
}

// dropUnusedImports removes the imports nothing refers to any more.
func dropUnusedImports(t *testing.T, name, src string) []byte {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.IMPORT {
			continue
		}
		var kept []ast.Spec
		for _, s := range g.Specs {
			imp := s.(*ast.ImportSpec)
			path := strings.Trim(imp.Path.Value, `"`)
			local := path[strings.LastIndexByte(path, '/')+1:]
			if imp.Name != nil {
				local = imp.Name.Name
			}
			if used[local] || local == "_" {
				kept = append(kept, s)
			}
		}
		g.Specs = kept
	}
	var b strings.Builder
	if err := format.Node(&b, fset, f); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}
