package mockserver_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
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
	// Every Go file of the mock, in every package at any depth (the
	// request path, the resilience layer, each API's handlers, the
	// reports, ...), and the command that runs it.
	var files []string
	for _, root := range []string{".", "../cmd/mock"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, ".go") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	checked := 0
	dirs := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, filepath.Join("internal", "decide")+string(filepath.Separator)) {
			continue
		}
		checked++
		dirs[filepath.ToSlash(filepath.Dir(f))] = true
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && questions[sel.Sel.Name] {
				t.Errorf("%s: %s is decided outside package decide", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
	if checked < 20 {
		t.Fatalf("read %d files of the mock; the walk finds too little", checked)
	}
	for _, dir := range []string{".", "report", "internal/pipeline", "internal/resilience", "internal/render",
		"internal/handlers/data", "internal/handlers/credentials", "internal/handlers/relationship", "internal/handlers/token",
		"mocktest", "../cmd/mock"} {
		if !dirs[dir] {
			t.Errorf("read no file of %s, a package that could decide", dir)
		}
	}
}
