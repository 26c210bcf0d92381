package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// The quickstart runs against the in-process mock, prints exactly its
// golden output, and the README shows that same output.
func TestQuickstart(t *testing.T) {
	srv := mocktest.Start(t)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), srv.URL, &out))

	golden := filepath.Join("testdata", "output.txt")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		require.NoError(t, os.WriteFile(golden, out.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), out.String(), "rerun with UPDATE_GOLDEN=1 to accept a change")

	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	assert.Contains(t, string(readme), string(want), "README.md must show the quickstart's output")
}
