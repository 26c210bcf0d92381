// Package golden checks program output against a committed golden file and
// the documentation that shows it, so examples and docs cannot drift apart.
package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check compares got with the golden file at path; with UPDATE_GOLDEN set
// in the environment it rewrites the file instead. Every doc (a path
// relative to the test's directory) must contain the golden text verbatim.
func Check(t testing.TB, got, path string, docs ...string) {
	t.Helper()
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with UPDATE_GOLDEN=1 to accept it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatalf("golden: %v", err)
		}
		if !strings.Contains(string(b), string(want)) {
			t.Errorf("%s does not show the output of %s verbatim; paste it in", doc, path)
		}
	}
}
