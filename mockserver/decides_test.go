package mockserver_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestOnlyTheDecisionFunctionDecides reads the mock's Go source: outside
// package decide (and the tenant, which keeps the facts), no code asks a
// tenant the questions the decision answers — whether a user may act as
// another, holds a permission, or may read an entity type through the
// API. A new handler or report that wants a verdict must ask decide.
func TestOnlyTheDecisionFunctionDecides(t *testing.T) {
	questions := map[string]bool{"CanProxy": true, "FirstGrantedPermission": true, "GrantedPermissions": true, "CanReadType": true}
	var files []string
	for _, pattern := range []string{"*.go", "report/*.go", "internal/*/*.go", "mocktest/*.go", "../cmd/mock/*.go"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, filepath.Join("internal", "decide")) {
			continue
		}
		checked++
		fs := token.NewFileSet()
		file, err := parser.ParseFile(fs, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && questions[sel.Sel.Name] {
				t.Errorf("%s: %s is decided outside package decide", fs.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
	if checked < 20 {
		t.Fatalf("read %d files of the mock; the globs find too little", checked)
	}
}
