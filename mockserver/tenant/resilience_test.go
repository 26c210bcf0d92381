package tenant_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func TestFixtureRateLimitAndFaults(t *testing.T) {
	src := base + `faults:
  seed: 42
  rules:
    - {operations: [entityQuery, "create*"], kind: "503", probability: 0.2, retryAfter: 2s}
    - {kind: latency, probability: 1, latency: 50ms}
    - {operations: [createObject], kind: "500", probability: 0.5, afterWrite: true, times: 3}
`
	src = "settings: {rateLimit: {requests: 180, window: 61s}}\n" + src
	f, err := tenant.Parse("t.yaml", []byte(src))
	require.NoError(t, err)
	tn, err := tenant.New(f, tenant.Config{ID: "t1"})
	require.NoError(t, err)

	assert.Equal(t, tenant.RateLimit{Requests: 180, Window: 61 * time.Second}, tn.Settings().RateLimit)
	faults, v1 := tn.Faults()
	assert.Equal(t, int64(42), faults.Seed)
	require.Len(t, faults.Rules, 3)
	assert.Equal(t, tenant.FaultRule{Operations: []string{"entityQuery", "create*"}, Kind: tenant.Fault503, Probability: 0.2, RetryAfter: 2 * time.Second}, faults.Rules[0])
	assert.Equal(t, 50*time.Millisecond, faults.Rules[1].Latency)
	assert.True(t, faults.Rules[2].AfterWrite)
	assert.Equal(t, 3, faults.Rules[2].Times)

	// Matching by operationId or api.operationId.
	assert.True(t, faults.Rules[0].Matches("data", "createObject"))
	assert.False(t, faults.Rules[0].Matches("data", "getObject"))
	assert.True(t, faults.Rules[1].Matches("credentials", "getToken"))
	assert.True(t, tenant.FaultRule{Operations: []string{"relationship.*"}}.Matches("relationship", "getRows"))
	assert.False(t, tenant.FaultRule{Operations: []string{"relationship.*"}}.Matches("data", "getObject"))

	// Replacing the plan and resetting the tenant both change its version.
	require.NoError(t, tn.SetFaults(tenant.Faults{}))
	_, v2 := tn.Faults()
	assert.NotEqual(t, v1, v2)
	g := tn.Generation()
	require.NoError(t, tn.Reset())
	faults, v3 := tn.Faults()
	assert.NotEqual(t, v2, v3)
	assert.Len(t, faults.Rules, 3, "a reset restores the fixture's plan")
	assert.NotEqual(t, g, tn.Generation())
}

func TestFixtureFaultErrors(t *testing.T) {
	cases := []struct {
		rule, field, msg string
	}{
		{`{kind: "502", probability: 1}`, "faults.rules[0].kind", `"502" is not one of 500, 503, 429, latency, drop, truncate`},
		{`{kind: "500", probability: 0}`, "faults.rules[0].probability", "0 is not in (0, 1]"},
		{`{kind: "500", probability: 1.5}`, "faults.rules[0].probability", "1.5 is not in (0, 1]"},
		{`{kind: latency, probability: 1}`, "faults.rules[0].latency", "a latency fault needs a positive latency"},
		{`{kind: "429", probability: 1, retryAfter: soon}`, "faults.rules[0].retryAfter", `"soon" is not a duration (like 1s)`},
		{`{kind: "429", probability: 1, afterWrite: true}`, "faults.rules[0].afterWrite", "only 500, 503 and drop faults can fire after the write"},
		{`{kind: "500", probability: 1, operations: ["[x"]}`, "faults.rules[0].operations[0]",
			`"[x" is not an operation pattern (path.Match syntax, such as entityQuery, create* or relationship.*)`},
		// A pattern that matches nothing would inject no fault while the
		// test relying on it passes.
		{`{kind: "500", probability: 1, operations: [entityquery]}`, "faults.rules[0].operations[0]",
			`"entityquery" matches no operation (names are case-sensitive: did you mean entityQuery?)`},
		{`{kind: "500", probability: 1, operations: [getRows, data.getRows]}`, "faults.rules[0].operations[1]",
			`"data.getRows" matches no operation; the operations are `},
		{`{kind: "500", probability: 1, times: -1}`, "faults.rules[0].times", "-1 is negative"},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			errs := fieldErrors(t, base+"faults:\n  rules:\n    - "+c.rule+"\n")
			require.Len(t, errs, 1)
			assert.Equal(t, c.field, errs[0].Field)
			if strings.HasSuffix(c.msg, " ") {
				assert.True(t, strings.HasPrefix(errs[0].Msg, c.msg), errs[0].Msg)
				assert.Contains(t, errs[0].Msg, "entityQuery, ", "the message lists the operations")
			} else {
				assert.Equal(t, c.msg, errs[0].Msg)
			}
			assert.Equal(t, 21, errs[0].Line, "the rule's line")
		})
	}
	errs := fieldErrors(t, "settings: {rateLimit: {requests: -1}}\n"+base)
	assert.Equal(t, "settings.rateLimit.requests", errs[0].Field)
	errs = fieldErrors(t, "settings: {rateLimit: {requests: 1, window: often}}\n"+base)
	assert.Equal(t, "settings.rateLimit.window", errs[0].Field)
	errs = fieldErrors(t, base+"faults:\n  rules:\n    - {kind: \"500\", probability: 1, colour: red}\n")
	assert.Equal(t, "faults.rules[0].colour", errs[0].Field)
}

func TestExpireCredentials(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tn, err := tenant.New(tenant.Demo(), tenant.Config{ID: "t1", Clock: func() time.Time { return now }})
	require.NoError(t, err)
	admin, err := tn.IssueToken("credentials", "demo-admin", "demo-admin-secret", nil, time.Hour)
	require.NoError(t, err)
	integ, err := tn.IssueToken("credentials", "demo-integrator", "demo-integrator-secret", nil, time.Hour)
	require.NoError(t, err)
	bob, err := tn.NewSession(1002)
	require.NoError(t, err)
	alice, err := tn.NewSession(1001)
	require.NoError(t, err)

	expired := func(tok tenant.Token) bool { got, _ := tn.Token(tok.Value); return !now.Before(got.ExpiresAt) }
	sessionExpired := func(s tenant.Session) bool { got, _ := tn.Session(s.ID); return !now.Before(got.ExpiresAt) }

	toks, sess, err := tn.ExpireCredentials(tenant.ExpireFilter{ClientID: "demo-admin"})
	require.NoError(t, err)
	assert.Equal(t, [2]int{1, 0}, [2]int{toks, sess})
	assert.True(t, expired(admin))
	assert.False(t, expired(integ))

	toks, sess, err = tn.ExpireCredentials(tenant.ExpireFilter{User: 1002})
	require.NoError(t, err)
	assert.Equal(t, [2]int{0, 1}, [2]int{toks, sess})
	assert.True(t, sessionExpired(bob))
	assert.False(t, sessionExpired(alice))

	toks, sess, err = tn.ExpireCredentials(tenant.ExpireFilter{})
	require.NoError(t, err)
	assert.Equal(t, [2]int{1, 1}, [2]int{toks, sess}, "already expired credentials are not counted again")
	assert.True(t, expired(integ))
	assert.True(t, sessionExpired(alice))

	_, _, err = tn.ExpireCredentials(tenant.ExpireFilter{ClientID: "nobody"})
	assert.ErrorContains(t, err, `clientId: "nobody" is not an OAuth client`)
	_, _, err = tn.ExpireCredentials(tenant.ExpireFilter{User: 5})
	assert.ErrorContains(t, err, "user: 5 is not a user")
	_, _, err = tn.ExpireCredentials(tenant.ExpireFilter{TokensOnly: true, SessionsOnly: true})
	assert.Error(t, err)
}
