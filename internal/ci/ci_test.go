// Package ci tests the project's CI scripts (.ci/) on throwaway clones.
//
// They run go generate, so they take a while: set TENANTKIT_CI_SCRIPT_TESTS=1
// to run them (.ci/run does).
package ci

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %s: %s", strings.Join(args, " "), out)
	return string(out)
}

// cloneRepo clones the committed state of this repository.
func cloneRepo(t *testing.T) string {
	t.Helper()
	if os.Getenv("TENANTKIT_CI_SCRIPT_TESTS") == "" {
		t.Skip("set TENANTKIT_CI_SCRIPT_TESTS=1 to run the CI script tests (.ci/run does)")
	}
	root, err := exec.Command("git", "-C", "../..", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git checkout")
	}
	dir := filepath.Join(t.TempDir(), "repo")
	git(t, ".", "clone", "--quiet", "--no-hardlinks", strings.TrimSpace(string(root)), dir)
	git(t, dir, "config", "user.email", "ci@tenantkit.invalid")
	git(t, dir, "config", "user.name", "ci test")
	return dir
}

func drift(t *testing.T, dir string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", ".ci/drift")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stderr.String()
	}
	require.NoError(t, err)
	return 0, stderr.String()
}

func TestDriftCheckIgnoresWorkInProgress(t *testing.T) {
	dir := cloneRepo(t)
	doc := filepath.Join(dir, "client", "doc.go")
	b, err := os.ReadFile(doc)
	require.NoError(t, err)
	wip := append(b, []byte("\n// work in progress\n")...)
	require.NoError(t, os.WriteFile(doc, wip, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("todo\n"), 0o644))

	code, stderr := drift(t, dir)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "uncommitted changes were not checked")
	got, err := os.ReadFile(doc)
	require.NoError(t, err)
	assert.Equal(t, string(wip), string(got), "the work in progress is left as it was")
	assert.Equal(t, 1, strings.Count(git(t, dir, "worktree", "list"), "\n"), "the temporary worktree is gone")
}

func TestDriftCheckNamesStaleGeneratedFiles(t *testing.T) {
	dir := cloneRepo(t)
	gen := filepath.Join(dir, "client", "dataapi", "api.gen.go")
	f, err := os.OpenFile(gen, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("\n// edited by hand\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	git(t, dir, "commit", "--quiet", "-am", "edit generated code")

	code, stderr := drift(t, dir)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "client/dataapi/api.gen.go")
	assert.Contains(t, stderr, "run go generate ./... and commit them")
}

func TestDriftCheckNamesAnUntidyGoMod(t *testing.T) {
	dir := cloneRepo(t)
	mod := filepath.Join(dir, "go.mod")
	b, err := os.ReadFile(mod)
	require.NoError(t, err)
	untidy := strings.Replace(string(b), "github.com/stretchr/testify v1.12.1\n", "github.com/stretchr/testify v1.12.1 // indirect\n", 1)
	require.NotEqual(t, string(b), untidy)
	require.NoError(t, os.WriteFile(mod, []byte(untidy), 0o644))
	git(t, dir, "commit", "--quiet", "-am", "mark a direct dependency indirect")

	code, stderr := drift(t, dir)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "is not tidy")
}
