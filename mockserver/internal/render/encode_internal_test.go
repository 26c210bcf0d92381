package render

import (
	"encoding/json"
	"testing"
)

// TestAppendStringMatchesEncodingJSON checks the page encoder's strings
// against encoding/json, on the fast path (printable ASCII) and off it.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "Atlas Labs", "a\x7fb", `say "hi"`, `back\slash`, "<b>&", "tab\tnl\n\x01",
		"é ü \u2028 \u2029", "bad \xff utf8", "ascii then é"} {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("Atlas <Labs> \u2028 \xff")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}
