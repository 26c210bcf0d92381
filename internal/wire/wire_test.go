package wire

import (
	"encoding/json"
	"testing"
)

// TestDecisionAppendJSON checks that the hand-written encoder writes the
// bytes encoding/json writes.
func TestDecisionAppendJSON(t *testing.T) {
	for _, d := range []Decision{
		{},
		{Operation: "listCredentialTypes", Outcome: OutcomeAllow},
		{Operation: "op", Outcome: OutcomeDeny, Step: StepScope, Code: CodeMissingScopes, Missing: []string{"a:b", `c"d`},
			EntityType: "Project", EffectiveUser: 3, Principal: -7, Caller: &Caller{Kind: "oauth_client", ID: "x<y>&z", User: 2},
			Reason: "needs \"scope\"\n\tand <b> & \u2028 é \xff", Fix: "ask\\ for it\x01"},
		{Operation: "o", Outcome: "o", Missing: []string{}, Caller: &Caller{}},
	} {
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Encode(); got != string(want) {
			t.Errorf("Encode:\n got %s\nwant %s", got, want)
		}
	}
}

func FuzzDecisionAppendJSON(f *testing.F) {
	f.Add("op", "reason <&> \u2028", "fix", int64(4))
	f.Fuzz(func(t *testing.T, op, reason, fix string, user int64) {
		d := Decision{Operation: op, Outcome: OutcomeDeny, Reason: reason, Fix: fix, EffectiveUser: user,
			Missing: []string{reason}, Caller: &Caller{ID: op, User: user}}
		want, _ := json.Marshal(d)
		if got := d.Encode(); got != string(want) {
			t.Errorf("Encode:\n got %s\nwant %s", got, want)
		}
	})
}

// TestAppendStringMatchesEncodingJSON checks the string encoder shared by
// the decision header, the error bodies and the page encoders against
// encoding/json, on the fast path (printable ASCII) and off it.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "Atlas Labs", "a\x7fb", `say "hi"`, `back\slash`, "<b>&", "tab\tnl\n\x01",
		"é ü \u2028 \u2029", "bad \xff utf8", "ascii then é", "\b\f"} {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("Atlas <Labs> \u2028 \xff")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	})
}
