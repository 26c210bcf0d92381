package tenant_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func TestMatchPermission(t *testing.T) {
	cases := []struct {
		pattern, perm string
		want          bool
	}{
		{"*", "integrations:integration:delete", true},
		{"*", "data", true},
		{"*", "", false},
		{"integrations:*", "integrations:integration:view", true},
		{"integrations:*", "integrations:credential:add", true},
		{"integrations:*", "integrations", false},
		{"integrations:*", "integrationsx:integration:view", false},
		{"integrations:integration:*", "integrations:integration:delete", true},
		{"integrations:integration:*", "integrations:other:delete", false},
		{"integrations:*:view", "integrations:integration:view", true},
		{"integrations:*:view", "integrations:integration:edit", false},
		{"integrations:*:view", "integrations:integration:view:extra", false},
		{"integrations:integration:view", "integrations:integration:view", true},
		{"integrations:integration:view", "integrations:integration:edit", false},
		{"integrations:integration:view", "integrations:integration", false},
		{"integrations:integration", "integrations:integration:view", false},
		{"Integrations:integration:view", "integrations:integration:view", false},
		{"", "integrations:integration:view", false},
		{"data:entity:*", "data:entity:add", true},
	}
	for _, tc := range cases {
		if got := tenant.MatchPermission(tc.pattern, tc.perm); got != tc.want {
			t.Errorf("MatchPermission(%q, %q) = %v, want %v", tc.pattern, tc.perm, got, tc.want)
		}
	}
}

func TestMatchEntityType(t *testing.T) {
	cases := []struct {
		pattern, typ string
		want         bool
	}{
		{"*", "Deals", true},
		{"Deals", "Deals", true},
		{"deals", "Deals", true},
		{"Deal", "Deals", false},
		{"Project", "Task", false},
	}
	for _, tc := range cases {
		if got := tenant.MatchEntityType(tc.pattern, tc.typ); got != tc.want {
			t.Errorf("MatchEntityType(%q, %q) = %v, want %v", tc.pattern, tc.typ, got, tc.want)
		}
	}
}

// MatchPermission agrees with matching the split segments, on random
// patterns and permissions over a small alphabet (empty segments, stars
// anywhere, more or fewer segments).
func TestMatchPermissionMatchesSplitSegments(t *testing.T) {
	ref := func(pattern, perm string) bool {
		if pattern == "*" {
			return perm != ""
		}
		if pattern == "" || perm == "" {
			return false
		}
		ps, qs := strings.Split(pattern, ":"), strings.Split(perm, ":")
		for i, p := range ps {
			if i >= len(qs) {
				return false
			}
			if p == "*" && i == len(ps)-1 {
				return true
			}
			if p != "*" && p != qs[i] {
				return false
			}
		}
		return len(ps) == len(qs)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	word := func() string {
		segs := make([]string, rng.IntN(4)+1)
		for i := range segs {
			segs[i] = []string{"", "a", "b", "*"}[rng.IntN(4)]
		}
		return strings.Join(segs, ":")
	}
	for range 20000 {
		p, q := word(), word()
		if got, want := tenant.MatchPermission(p, q), ref(p, q); got != want {
			t.Fatalf("MatchPermission(%q, %q) = %v, want %v", p, q, got, want)
		}
	}
}
