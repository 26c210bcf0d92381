package mockserver_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// A repeated query may be answered from the tenant's page cache, but never
// after the tenant changed: after every kind of change the repeated query
// reads exactly what the same query sent for the first time reads.
func TestCachedQueryAnswersFollowEveryChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tn := h.srv.DefaultTenant()
	const q = "/V2.0/services/data/entityQuery?typeName=Project&fields=Name,Owner&limit=100"
	key := apiKey("demo-key-service")
	fresh := 0
	// read sends q three times (the second answer is kept, the third served
	// from the cache) and a query never sent before; all must read the same
	// rows.
	read := func() (cached, first string) {
		t.Helper()
		var answers []string
		for range 3 {
			r := h.do(http.MethodGet, q, nil, key...)
			require.Equal(t, http.StatusOK, r.status, r.body)
			answers = append(answers, string(r.body))
		}
		fresh++
		f := h.do(http.MethodGet, fmt.Sprintf("%s&from=0&limit=%d", q, 100+fresh), nil, key...) // a query never sent before
		require.Equal(t, http.StatusOK, f.status, f.body)
		for i, a := range answers {
			assert.Equal(t, rows(t, string(f.body)), rows(t, a), "answer %d of the repeated query", i+1)
		}
		return answers[2], string(f.body)
	}
	a, _ := read()
	b, _ := read()
	require.Equal(t, a, b)
	var created tenant.Entity
	changes := []struct {
		name   string
		change func() error
	}{
		{"create a row", func() error {
			var err error
			created, err = tn.CreateEntity("Project", 2001, map[string]any{"Name": "cache probe"})
			return err
		}},
		{"update it", func() error {
			_, err := tn.UpdateEntity("Project", created.ID, 2001, map[string]any{"Name": "cache probe 2"})
			return err
		}},
		{"share it", func() error { return tn.SetShares("Project", created.ID, []string{"Integrations-Test"}, nil) }},
		{"change a membership", func() error { return tn.SetUserGroups(2001, nil) }},
		{"bypass row-level sharing", func() error {
			_, err := tn.UpdateSettings(func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessBypass })
			return err
		}},
		{"delete a row", func() error { return tn.DeleteEntity("Project", created.ID, 2001) }},
		{"reset", tn.Reset},
	}
	prev := a
	for _, c := range changes {
		require.NoError(t, c.change(), c.name)
		cached, first := read()
		// The two queries differ only in their limit; with fewer than 100
		// visible rows they read the same rows.
		assert.Equal(t, rows(t, first), rows(t, cached), "after %s the repeated query reads a stale page", c.name)
		if c.name != "change a membership" && c.name != "share it" { // these may leave the service account's rows as they were
			assert.NotEqual(t, prev, cached, "after %s the answer did not change", c.name)
		}
		prev = cached
	}
}

// rows is the entities of an entity query answer.
func rows(t *testing.T, body string) []any {
	t.Helper()
	r := response{body: []byte(body)}
	list, _ := r.object(t)["entities"].([]any)
	return list
}
