package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/golden"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// The guide's program runs against the in-process mock; its output is the
// golden file, shown verbatim in the guide and the README, and the grant
// it prints passes the check against the run's report.
func TestLeastPrivilegeGuide(t *testing.T) {
	srv := mocktest.Start(t)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), srv.URL, &out))
	out.Reset() // a second run makes its tenant afresh: the same report
	require.NoError(t, run(t.Context(), srv.URL, &out))
	golden.Check(t, out.String(), "testdata/output.txt", "../../docs/guides/least-privilege.md", "../../README.md")

	_, yaml, ok := bytes.Cut(out.Bytes(), []byte("\n\ncredentials:\n"))
	require.True(t, ok)
	m, err := mockserver.ParseManifest("printed grant", append([]byte("credentials:\n"), yaml...))
	require.NoError(t, err)
	require.Len(t, m.Credentials, 1)
	rep, err := srv.Mock.LeastPrivilege(tenantID)
	require.NoError(t, err)
	require.Empty(t, rep.Check(m))
	require.Empty(t, srv.Mock.DefaultTenant().Audit(tenant.AuditFilter{}), "the default tenant was left alone")
}
