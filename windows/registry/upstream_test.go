package registry_test

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

	"github.com/openscm/scm/internal/scmtest"
)

// windowsOwn are the upstream tests (and their helpers) that read keys only
// Windows has (HKCR\TypeLib, the time zones, Perflib) or call kernel32.
var windowsOwn = map[string]bool{
	"TestReadSubKeyNames": true, "TestGetMUIStringValue": true, "TestModTimeZeroValue": true,
	"DynamicTimezoneinformation": true, "GetDynamicTimeZoneInformation": true,
	"kernel32DLL": true, "procGetDynamicTimeZoneInformation": true,
}

// golang.org/x/sys/windows/registry's own tests pass against this package
// with the import prefix changed, but for those that need Windows' own
// keys. They are taken from the module cache (x/sys is a dependency), put
// beside this package's files with go test's -overlay, and run against a
// real scmd; nothing of them is kept in this repository.
func TestUpstreamRegistryTests(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs another test binary")
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/sys").Output()
	if err != nil {
		t.Fatalf("finding golang.org/x/sys: %v", err)
	}
	upstream := filepath.Join(strings.TrimSpace(string(out)), "windows", "registry")
	here, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	overlay := map[string]string{
		// This package's own tests step aside: the upstream ones have
		// the same names.
		filepath.Join(here, "registry_test.go"): "",
		filepath.Join(here, "upstream_test.go"): "",
	}
	for _, name := range []string{"registry_test.go", "export_test.go"} {
		src, err := os.ReadFile(filepath.Join(upstream, name))
		if err != nil {
			t.Fatal(err)
		}
		ported := port(t, name, src)
		dst := filepath.Join(tmp, name)
		if err := os.WriteFile(dst, ported, 0o644); err != nil {
			t.Fatal(err)
		}
		overlay[filepath.Join(here, "xsys_"+name)] = dst
	}
	b, _ := json.Marshal(map[string]any{"Replace": overlay})
	overlayFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	scmtest.Start(t)
	cmd := exec.Command("go", "test", "-count=1", "-overlay", overlayFile, "-v", ".")
	cmd.Env = os.Environ() // with SCM_SOCKET naming this test's scmd
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("x/sys's registry tests: %v\n%s", err, got)
	}
	t.Logf("%s", got)
	for _, test := range []string{"TestCreateOpenDeleteKey", "TestValues", "TestExpandString", "TestInvalidValues"} {
		if !strings.Contains(string(got), "--- PASS: "+test) {
			t.Errorf("%s did not pass:\n%s", test, got)
		}
	}
}

// port is an upstream test file with the import prefix changed, its build
// constraint dropped and the Windows-only declarations taken out.
func port(t *testing.T, name string, src []byte) []byte {
	text := strings.ReplaceAll(string(src), `"golang.org/x/sys/windows/registry"`, `"github.com/openscm/scm/windows/registry"`)
	text = strings.ReplaceAll(text, `"golang.org/x/sys/windows"`, `"github.com/openscm/scm/windows"`)
	text = strings.Replace(text, "//go:build windows", "", 1)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, text, parser.ParseComments)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var kept []ast.Decl
	for _, d := range f.Decls {
		if !declaresWindowsOwn(d) {
			kept = append(kept, d)
		}
	}
	f.Decls = kept
	var b strings.Builder
	if err := format.Node(&b, fset, f); err != nil {
		t.Fatal(err)
	}
	return dropUnusedImports(t, fset, name, b.String())
}

func declaresWindowsOwn(d ast.Decl) bool {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return windowsOwn[d.Name.Name]
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				return windowsOwn[s.Name.Name]
			case *ast.ValueSpec:
				return windowsOwn[s.Names[0].Name]
			}
		}
	}
	return false
}

// dropUnusedImports removes the imports nothing refers to any more.
func dropUnusedImports(t *testing.T, fset *token.FileSet, name, src string) []byte {
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
	for _, imp := range f.Imports {
		path := strings.Trim(imp.Path.Value, `"`)
		local := path[strings.LastIndexByte(path, '/')+1:]
		if imp.Name != nil {
			local = imp.Name.Name
		}
		if !used[local] && local != "_" {
			for _, d := range f.Decls {
				if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
					for i, s := range g.Specs {
						if s == imp {
							g.Specs = append(g.Specs[:i], g.Specs[i+1:]...)
							break
						}
					}
				}
			}
		}
	}
	var b strings.Builder
	if err := format.Node(&b, fset, f); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}
