package mocktest_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func row(id int64, fields map[string]any) relationshipapi.Row {
	return relationshipapi.Row{EntryId: id, AdditionalProperties: fields}
}

// rowsOf reads every row of typ the client may see, by EntryId.
func rowsOf(t *testing.T, c *client.Client, typ string) map[int64]relationshipapi.Row {
	t.Helper()
	out := map[int64]relationshipapi.Row{}
	for r, err := range c.Relationship.RowsAll(t.Context(), typ, nil) {
		require.NoError(t, err)
		out[r.EntryId] = r
	}
	return out
}

// The SDK's row writes against the demo tenant: round trips read back
// through RowsAll, partial failures as a *RowWriteError with the results,
// refusals as the typed errors.
func TestRowWritesThroughTheSDK(t *testing.T) {
	t.Parallel()
	srv := mocktest.Start(t)
	ctx := t.Context()
	admin := srv.Client(mocktest.AdminOAuth.WithScopes("data"))

	created, err := admin.Relationship.CreateRows(ctx, "Deals", []relationshipapi.Row{
		row(-1, map[string]any{"Name": "SDK deal", "Stage": "Proposal", "amount": 1200}),
		row(-2, map[string]any{"Name": "SDK deal 2", "Stage": "Qualification"}),
	})
	require.NoError(t, err)
	require.Len(t, created, 2)
	a, b := created[0].EntryId, created[1].EntryId
	assert.Positive(t, a)
	assert.Equal(t, float64(1200), created[0].AdditionalProperties["Amount"], "canonical name")
	rows := rowsOf(t, admin, "Deals")
	assert.Equal(t, "SDK deal", rowValueName(rows[a].AdditionalProperties["Name"]))
	assert.Equal(t, "Qualification", rowValueName(rows[b].AdditionalProperties["Stage"]))

	_, err = admin.Relationship.UpsertRows(ctx, "Deals", []relationshipapi.Row{row(a, map[string]any{"Amount": 1300}), row(-1, map[string]any{"Name": "SDK deal 3"})})
	require.NoError(t, err)
	_, err = admin.Relationship.UpdateRows(ctx, "Deals", []relationshipapi.Row{row(b, map[string]any{"Region": "Global"})})
	require.NoError(t, err)
	rows = rowsOf(t, admin, "Deals")
	assert.Equal(t, float64(1300), rows[a].AdditionalProperties["Amount"])
	assert.Equal(t, "Global", rowValueName(rows[b].AdditionalProperties["Region"]))
	n := len(rows)

	deleted, err := admin.Relationship.DeleteRows(ctx, "Deals", []int64{b})
	require.NoError(t, err)
	assert.Equal(t, []relationshipapi.DeletedEntry{{EntryId: b, RowId: b}}, deleted)
	assert.Len(t, rowsOf(t, admin, "Deals"), n-1)

	// A partial failure: the results and a *RowWriteError naming the row.
	results, err := admin.Relationship.CreateRows(ctx, "Deals", []relationshipapi.Row{
		row(-1, map[string]any{"Name": "fine"}), row(-2, map[string]any{"Name": "bad", "Amount": "lots"}),
	})
	var rwe *client.RowWriteError
	require.ErrorAs(t, err, &rwe)
	require.Len(t, results, 2)
	assert.Equal(t, 1, rwe.NotCommitted)
	require.Len(t, rwe.Failed, 1)
	assert.Equal(t, 1, rwe.Failed[0].Index)
	assert.Equal(t, int64(-2), rwe.Failed[0].EntryID)
	assert.Equal(t, 5001, rwe.Failed[0].Errors[0].Code)
	assert.Equal(t, `tenantkit: relationship createRows: 1 of 2 rows failed, nothing was written: row 1 (EntryId -2): Amount: 5001 "lots" is not a number`, err.Error())
	assert.Equal(t, client.RowNotCommitted, (*results[0].Errors)[0].Description)
	assert.Len(t, rowsOf(t, admin, "Deals"), n-1, "nothing was written")

	_, err = admin.Relationship.DeleteRows(ctx, "Deals", []int64{a, 987654})
	require.ErrorAs(t, err, &rwe)
	assert.Equal(t, 5004, rwe.Failed[0].Errors[0].Code)

	// Refusals.
	_, err = srv.Client(mocktest.ReadonlyOAuth).Relationship.CreateRows(ctx, "Deals", []relationshipapi.Row{row(-1, map[string]any{"Name": "x"})})
	var pe *client.PermissionError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, []string{"data:entity:add"}, pe.Missing)
	_, err = srv.Client(mocktest.ReportingOAuth).Relationship.DeleteRows(ctx, "Deals", []int64{a})
	require.ErrorAs(t, err, &pe, "the Integrator role has no data:entity:delete")
	assert.Equal(t, []string{"data:entity:delete"}, pe.Missing)
	_, err = srv.Client(mocktest.IntegratorOAuth.WithScopes("user_management")).Relationship.CreateRows(ctx, "Deals", []relationshipapi.Row{row(-1, map[string]any{"Name": "x"})})
	var se *client.ScopeError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, []string{"data"}, se.Missing)
	_, err = srv.Client(mocktest.ReportingOAuth).Relationship.UpdateRows(ctx, "Deals", []relationshipapi.Row{row(1, map[string]any{"Amount": 1})})
	var nf *client.NotFoundError
	require.ErrorAs(t, err, &nf, "Carol's deal is hidden from the service account")
	_, err = srv.Client(mocktest.IntegratorOAuth).Relationship.CreateRows(ctx, "Deals", []relationshipapi.Row{row(-1, map[string]any{"Name": "x"})}, client.AsUser(mocktest.CarolID))
	require.ErrorAs(t, err, &pe, "Carol's role (Deal team) has no permissions")
	assert.Equal(t, []string{"data:entity:add"}, pe.Missing)
	e := srv.Audit(tenant.AuditFilter{Operation: "createRows", Limit: 1})[0]
	assert.Equal(t, mocktest.CarolID, e.Principal)
	assert.Equal(t, "demo-integrator", e.Caller.ID)
	assert.Equal(t, mocktest.ServiceID, e.Caller.User)
}

// Row writes under fire: with an Idempotency-Key every batch is written
// exactly once, though faults hit before and after the write (the lost
// answer is replayed from the key); without one, a batch is never written
// twice (the SDK retries a write only after a 429).
func TestRowWritesUnderFaultsAreWrittenOnce(t *testing.T) {
	t.Parallel()
	ops := []string{"createRows", "upsertRows", "updateRows"}
	plan := func(seed int64) tenant.Faults {
		return tenant.Faults{Seed: seed, Rules: []tenant.FaultRule{
			{Operations: ops, Kind: tenant.Fault429, Probability: 0.15},
			{Operations: ops, Kind: tenant.Fault500, Probability: 0.1},
			{Operations: ops, Kind: tenant.Fault503, Probability: 0.1},
			{Operations: ops, Kind: tenant.FaultDrop, Probability: 0.1},
			{Operations: ops, Kind: tenant.Fault500, Probability: 0.2, AfterWrite: true},
			{Operations: ops, Kind: tenant.FaultDrop, Probability: 0.1, AfterWrite: true},
			{Operations: ops, Kind: tenant.Fault503, Probability: 0.1, AfterWrite: true},
			{Operations: ops, Kind: tenant.FaultTruncate, Probability: 0.1},
		}}
	}
	const calls = 30
	names := func(c *client.Client) map[string]int {
		out := map[string]int{}
		for _, r := range rowsOf(t, c, "Record") {
			out[fmt.Sprint(r.AdditionalProperties["Name"])]++
		}
		return out
	}

	t.Run("with an Idempotency-Key", func(t *testing.T) {
		t.Parallel()
		srv := mocktest.Start(t, mocktest.WithFixture(recordsFixture(t, 10)), mocktest.WithFaults(plan(7)))
		c := srv.Client(serviceOAuth, fastRetries(time.Second))
		ctx := t.Context()
		for i := range calls {
			key := client.IdempotencyKey(fmt.Sprintf("rows-%d", i))
			batch := []relationshipapi.Row{
				row(-1, map[string]any{"Name": fmt.Sprintf("new-%d-a", i), "Seq": 1000 + i}),
				row(-2, map[string]any{"Name": fmt.Sprintf("new-%d-b", i)}),
			}
			var err error
			switch i % 3 {
			case 0:
				_, err = c.Relationship.CreateRows(ctx, "Record", batch, key)
			case 1:
				_, err = c.Relationship.UpsertRows(ctx, "Record", batch, key)
			default:
				// An update of a record the service account sees, and a
				// second batch that creates.
				_, err = c.Relationship.UpdateRows(ctx, "Record", []relationshipapi.Row{row(5, map[string]any{"Seq": 5000 + i})}, key)
				require.NoError(t, err, "call %d", i)
				_, err = c.Relationship.CreateRows(ctx, "Record", batch, client.IdempotencyKey(fmt.Sprintf("rows-%d-create", i)))
			}
			require.NoError(t, err, "call %d", i)
		}
		counts := faultCounts(srv)
		assert.Positive(t, counts["500"]+counts["503"]+counts["drop"], "answers were lost after writes (%v)", counts)
		replays := 0
		for _, e := range srv.Audit(tenant.AuditFilter{}) {
			if e.Replayed {
				replays++
			}
		}
		assert.Positive(t, replays, "lost answers were replayed from the key")

		srv.SetFaults(tenant.Faults{})
		got := names(srv.Client(serviceOAuth))
		for i := range calls {
			for _, s := range []string{"a", "b"} {
				assert.Equal(t, 1, got[fmt.Sprintf("new-%d-%s", i, s)], "new-%d-%s exists exactly once", i, s)
			}
		}
		for _, op := range ops {
			assert.Positive(t, writesPerformed(srv, op), op)
		}
	})

	t.Run("without a key", func(t *testing.T) {
		t.Parallel()
		srv := mocktest.Start(t, mocktest.WithFixture(recordsFixture(t, 10)), mocktest.WithFaults(plan(8)))
		c := srv.Client(serviceOAuth, fastRetries(time.Second))
		ctx := t.Context()
		var ok, lost int
		for i := range calls {
			before := writesPerformed(srv, "createRows")
			_, err := c.Relationship.CreateRows(ctx, "Record", []relationshipapi.Row{row(-1, map[string]any{"Name": fmt.Sprintf("plain-%d", i)})})
			delta := writesPerformed(srv, "createRows") - before
			require.LessOrEqual(t, delta, 1, "call %d was written %d times", i, delta)
			if err == nil {
				ok++
			} else if delta == 1 {
				lost++
				var rwe *client.RowWriteError
				assert.False(t, errors.As(err, &rwe), "a lost answer is no row error")
			}
		}
		assert.Positive(t, ok)
		srv.SetFaults(tenant.Faults{})
		for name, n := range names(srv.Client(serviceOAuth)) {
			assert.LessOrEqual(t, n, 1, "%s written twice", name)
		}
		t.Logf("without a key: %d succeeded, %d written but the answer lost", ok, lost)
	})
}

// rowValueName is a rows value's name: a choice's or a reference's (the
// key field is a reference to the row itself), else the value itself.
func rowValueName(v any) any {
	if m, ok := v.(map[string]any); ok {
		return m["name"]
	}
	return v
}
