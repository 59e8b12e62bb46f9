package core

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"testing"
)

// TestEveryMethodHasACommand keeps the scenario files complete: each
// exported method of Core is reachable from a datadriven command, so that
// every rule can be stated in testdata.
func TestEveryMethodHasACommand(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool {
		return !regexp.MustCompile(`_test\.go$`).MatchString(fi.Name())
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	harness, err := os.ReadFile("core_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range pkgs["core"].Files {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !fn.Name.IsExported() {
				continue
			}
			if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); !ok || star.X.(*ast.Ident).Name != "Core" {
				continue
			}
			if !regexp.MustCompile(`h\.c\.` + fn.Name.Name + `\(`).Match(harness) {
				t.Errorf("Core.%s has no scenario command in core_test.go", fn.Name.Name)
			}
		}
	}
}
