package mocktest_test

// A reset restores a tenant's resilience state with the rest of it: its
// rate-limit budgets, its fault plan's position and its idempotency records
// start as a new tenant's. Each is checked through the real server on a
// loopback listener, with the SDK, for each of the three ways to reset: the
// tenant's Reset (mocktest.Server.Reset), Server.ResetTenant and the admin
// API's reset endpoint.

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/adminapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// resetPaths are the ways a user resets a tenant.
var resetPaths = []struct {
	name  string
	reset func(t *testing.T, srv *mocktest.Server)
}{
	{"tenant.Reset", func(t *testing.T, srv *mocktest.Server) { srv.Reset() }},
	{"Server.ResetTenant", func(t *testing.T, srv *mocktest.Server) {
		require.NoError(t, srv.Mock.ResetTenant("default"))
	}},
	{"admin API", func(t *testing.T, srv *mocktest.Server) {
		admin, err := adminapi.NewClientWithResponses(srv.URL, adminapi.WithHTTPClient(srv.HTTPClient()))
		require.NoError(t, err)
		r, err := admin.ResetTenantWithResponse(t.Context(), "default")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, r.StatusCode(), "%s", r.Body)
	}},
}

// noRetries makes every failure reach the test as it was answered.
var noRetries = client.WithMaxRetries(0)

// A write replayed with its Idempotency-Key after a reset is performed
// again: the reset tenant has forgotten the key, as a new tenant would.
func TestResetForgetsIdempotencyKeys(t *testing.T) {
	t.Parallel()
	for _, p := range resetPaths {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			srv := mocktest.Start(t)
			c := srv.Client(mocktest.ServiceKey, noRetries)
			ctx := t.Context()
			create := func() (*dataapi.CreateResult, client.Response) {
				t.Helper()
				var resp client.Response
				res, err := c.Data.CreateObject(ctx, "Project", dataapi.EntityValues{"Name": "Once"},
					client.IdempotencyKey("create-once"), client.CaptureResponse(&resp))
				require.NoError(t, err)
				return res, resp
			}
			projects := func() int { return len(projectIDs(t, c)) }
			before := projects()

			first, resp := create()
			assert.False(t, resp.Replayed)
			again, resp := create()
			assert.True(t, resp.Replayed, "the repeat is answered from the first write")
			assert.Equal(t, first.Id, again.Id)
			require.Equal(t, before+1, projects())

			p.reset(t, srv)
			require.Equal(t, before, projects(), "the reset dropped the created project")
			_, resp = create()
			assert.False(t, resp.Replayed, "after the reset the key is new")
			assert.Equal(t, before+1, projects(), "and the write is performed again")
			performed := srv.Audit(tenant.AuditFilter{Operation: "createObject"})
			require.Len(t, performed, 1)
			assert.True(t, performed[0].Write)
			assert.False(t, performed[0].Replayed)

			_, resp = create()
			assert.True(t, resp.Replayed, "the new record is kept as the first one was")
		})
	}
}

// A credential that spent its budget has all of it back after a reset, on
// a clock that never moves: the reset, not the window, refilled it.
func TestResetRefillsRateLimitBudget(t *testing.T) {
	t.Parallel()
	const budget = 3
	for _, p := range resetPaths {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			clock := mocktest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
			srv := mocktest.Start(t, mocktest.WithClock(clock), mocktest.WithRateLimit(budget, time.Hour))
			c := srv.Client(mocktest.ServiceKey, noRetries)
			ctx := t.Context()
			spend := func() (allowed int) {
				t.Helper()
				for range budget + 2 {
					_, err := c.Data.GetSessionInfo(ctx)
					var rl *client.RateLimitError
					switch {
					case err == nil:
						allowed++
					case errors.As(err, &rl):
					default:
						require.NoError(t, err)
					}
				}
				return allowed
			}
			require.Equal(t, budget, spend(), "the budget, then 429")
			_, err := c.Data.GetSessionInfo(ctx)
			var rl *client.RateLimitError
			require.ErrorAs(t, err, &rl, "still over budget before the reset")

			p.reset(t, srv)
			assert.Equal(t, budget, spend(), "the whole budget is back after the reset, and only it")
		})
	}
}

// A fault plan replays from its start after a reset: the same requests meet
// the same faults in the same order, and a rule limited to Times fires
// again.
func TestResetReplaysFaultPlan(t *testing.T) {
	t.Parallel()
	plan := tenant.Faults{Seed: 7, Rules: []tenant.FaultRule{
		{Operations: []string{"getSessionInfo"}, Kind: tenant.Fault503, Probability: 0.5},
		{Operations: []string{"getServerDefinition"}, Kind: tenant.Fault500, Probability: 1, Times: 1},
	}}
	const n = 16
	outcomes := func(t *testing.T, c *client.Client) []int {
		t.Helper()
		out := make([]int, n)
		for i := range out {
			var resp client.Response
			_, err := c.Data.GetSessionInfo(t.Context(), client.CaptureResponse(&resp))
			if err == nil {
				out[i] = resp.StatusCode
				continue
			}
			var apiErr *client.APIError
			require.ErrorAs(t, err, &apiErr)
			out[i] = apiErr.StatusCode
		}
		return out
	}
	once := func(t *testing.T, c *client.Client) error {
		_, err := c.Data.GetServerDefinition(t.Context(), dataapi.ServerDefinitionRequest{UserName: "alice@demo.tenantkit.dev", Password: "demo-password"})
		return err
	}

	// Without a reset the plan goes on: the next n requests meet other
	// faults, so the comparison below can tell a replay from a continuation.
	control := mocktest.Start(t, mocktest.WithFaults(plan))
	cc := control.Client(mocktest.ServiceKey, noRetries)
	start := outcomes(t, cc)
	require.Contains(t, start, http.StatusOK)
	require.Contains(t, start, http.StatusServiceUnavailable)
	require.NotEqual(t, start, outcomes(t, cc), "the plan's sequence goes on without a reset")

	for _, p := range resetPaths {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			srv := mocktest.Start(t, mocktest.WithFaults(plan))
			c := srv.Client(mocktest.ServiceKey, noRetries)
			require.Equal(t, start, outcomes(t, c), "the same plan and requests meet the same faults")
			require.Error(t, once(t, c), "the Times: 1 rule fires once")
			require.NoError(t, once(t, c))

			p.reset(t, srv)
			assert.Equal(t, start, outcomes(t, c), "after the reset the plan replays from its start")
			assert.Error(t, once(t, c), "and the Times: 1 rule fires again")
			assert.NoError(t, once(t, c))
		})
	}
}
