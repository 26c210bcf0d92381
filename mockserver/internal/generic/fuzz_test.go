package generic

import (
	"encoding/json"
	"testing"
)

// FuzzPolicy loads a spec with arbitrary policy text: a policy is refused
// with located errors or loaded, never a panic.
func FuzzPolicy(f *testing.F) {
	f.Add([]byte(notePolicy))
	f.Add([]byte("paging: {style: link, items: data, next: n, limit: limit, cursor: c}\n"))
	f.Add([]byte("operations:\n  listNotes: {action: issue-key}\n"))
	f.Add([]byte("errors:\n  default: {a: [\"{status}\", {b: \"{message}\"}]}\n"))
	f.Add([]byte("resources:\n  notes: {id: text, owner: id, rows: bypass}\ntags: {x: {}}\n"))
	f.Fuzz(func(t *testing.T, policy []byte) {
		a, err := Load("notes", Source{Name: "notes.yaml", Data: []byte(noteSpec)}, Source{Name: "p.yaml", Data: policy})
		if err == nil && a == nil {
			t.Fatal("no API and no error")
		}
	})
}

// FuzzPatch applies arbitrary JSON Patch documents to a row: each applies
// or fails with a patch error, never a panic.
func FuzzPatch(f *testing.F) {
	f.Add(`[{"op":"replace","path":"/name","value":"x"}]`)
	f.Add(`[{"op":"add","path":"/tags/-","value":1},{"op":"move","from":"/tags/0","path":"/first"}]`)
	f.Add(`[{"op":"remove","path":"/a/b/0"},{"op":"test","path":"/name","value":"n"},{"op":"copy","from":"/a","path":"/c"}]`)
	f.Fuzz(func(t *testing.T, patch string) {
		var ops []any
		if json.Unmarshal([]byte(patch), &ops) != nil {
			return
		}
		row := map[string]any{"name": "n", "tags": []any{"t"}, "a": map[string]any{"b": []any{1.0, 2.0}}}
		err := applyPatch(row, ops)
		if err != nil {
			if _, ok := err.(*patchError); !ok {
				t.Fatalf("%T is not a patch error", err)
			}
		}
	})
}
