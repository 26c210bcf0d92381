package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/golden"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// The quickstart runs against the in-process mock, prints exactly its
// golden output, and the README shows that same output.
func TestQuickstart(t *testing.T) {
	srv := mocktest.Start(t)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), srv.URL, &out))
	golden.Check(t, out.String(), "testdata/output.txt", "../../README.md")
}
