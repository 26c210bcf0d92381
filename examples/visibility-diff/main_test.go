package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/golden"
	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// The guide's program runs against the in-process mock; its output is the
// golden file, shown verbatim in the guide and the README.
func TestVisibilityGuide(t *testing.T) {
	srv := mocktest.Start(t)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), srv.URL, &out))
	golden.Check(t, out.String(), "testdata/output.txt", "../../docs/guides/visibility.md", "../../README.md")
}
