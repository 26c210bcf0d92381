package ci

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/golden"
)

// The Python and Node examples are shown in the README verbatim.
func TestReadmeShowsThePythonAndNodeExamples(t *testing.T) {
	for _, f := range []string{"examples/python/conftest.py", "examples/python/test_mock.py", "examples/node/mock.test.mjs"} {
		b, err := os.ReadFile(filepath.Join("..", "..", f))
		require.NoError(t, err)
		golden.Check(t, string(b), filepath.Join("..", "..", f), "../../README.md")
	}
}

// gate skips the slow tests of the project's outside uses unless
// TENANTKIT_CI_SCRIPT_TESTS is set (.ci/run sets it).
func gate(t *testing.T) {
	t.Helper()
	if os.Getenv("TENANTKIT_CI_SCRIPT_TESTS") == "" {
		t.Skip("set TENANTKIT_CI_SCRIPT_TESTS=1 to run (.ci/run does)")
	}
}

func runIn(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
	return string(out)
}

// The README's walk-through for another module works verbatim in a scratch
// module outside the repository.
func TestScratchModuleFromTheReadme(t *testing.T) {
	gate(t)
	out := runIn(t, "../..", nil, "bash", ".ci/scratch-module")
	assert.Contains(t, out, "ok  \texample.com/nightly-export")
}

// buildMock builds cmd/mock the way the Dockerfile does.
func buildMock(t *testing.T) string {
	t.Helper()
	df, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	m := regexp.MustCompile(`RUN CGO_ENABLED=0 go build (.*) -o /out/mock ./cmd/mock`).FindSubmatch(df)
	require.NotNil(t, m, "the Dockerfile builds ./cmd/mock with CGO_ENABLED=0")
	bin := filepath.Join(t.TempDir(), "tenantkit-mock")
	// The Dockerfile's command line as it is (the shell reads its quotes).
	runIn(t, "../..", nil, "bash", "-c", "CGO_ENABLED=0 go build "+string(m[1])+" -o \"$0\" ./cmd/mock", bin)
	return bin
}

// The Python and Node examples run against the built binary, where
// python3 with pytest and node are installed.
func TestPythonAndNodeExamples(t *testing.T) {
	gate(t)
	bin := buildMock(t)
	env := []string{"TENANTKIT_MOCK=" + bin}
	t.Run("python", func(t *testing.T) {
		if exec.Command("python3", "-c", "import pytest").Run() != nil {
			t.Skip("python3 with pytest is not installed")
		}
		out := runIn(t, "../../examples/python", env, "python3", "-m", "pytest", "-q", "-p", "no:cacheprovider")
		src, err := os.ReadFile("../../examples/python/test_mock.py")
		require.NoError(t, err)
		assert.Contains(t, out, fmt.Sprintf("%d passed", strings.Count(string(src), "\ndef test_")), "every test of the example ran and passed")
	})
	t.Run("node", func(t *testing.T) {
		if _, err := exec.LookPath("node"); err != nil {
			t.Skip("node is not installed")
		}
		out := runIn(t, "../..", env, "node", "--test", "examples/node/")
		assert.Contains(t, out, "# pass 2")
		assert.Contains(t, out, "# fail 0")
	})
}

// The relationship vendor's own Python SDK runs unchanged against the built
// binary (examples/dealcloud-sdk). TENANTKIT_VENDOR_SDK_PYTHON names a Python
// with the SDK installed (.ci/run makes one with .ci/vendor-sdk-env); without
// it the test is skipped.
func TestVendorPythonSDK(t *testing.T) {
	gate(t)
	python := os.Getenv("TENANTKIT_VENDOR_SDK_PYTHON")
	if python == "" {
		t.Skip("set TENANTKIT_VENDOR_SDK_PYTHON to a Python with examples/dealcloud-sdk/requirements.txt installed (bash .ci/vendor-sdk-env prints one)")
	}
	bin := buildMock(t)
	out := runIn(t, "../../examples/dealcloud-sdk", []string{"TENANTKIT_MOCK=" + bin}, python, "-m", "pytest", "-q", "-p", "no:cacheprovider")
	assert.Regexp(t, `\b\d+ passed\b`, out)
	assert.NotContains(t, out, "failed")
	assert.NotContains(t, out, "skipped")
}

// The container image builds and serves, where a Docker engine runs; else
// the Dockerfile's build command is run as it is, and the binary serves.
func TestContainerImage(t *testing.T) {
	gate(t)
	if exec.Command("docker", "info").Run() != nil {
		bin := buildMock(t)
		out, err := exec.Command(bin, "--help").CombinedOutput()
		require.NoError(t, err, "%s", out)
		t.Skip("no Docker engine here (docker info fails): built cmd/mock with the Dockerfile's command instead")
	}
	tag := fmt.Sprintf("tenantkit-mock-test:%d", time.Now().UnixNano())
	runIn(t, "../..", nil, "docker", "build", "-t", tag, ".")
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag).Run() })
	id := strings.TrimSpace(runIn(t, ".", nil, "docker", "run", "-d", "--rm", "-p", "127.0.0.1::8080", tag))
	t.Cleanup(func() { _ = exec.Command("docker", "stop", id).Run() })
	port := strings.TrimSpace(runIn(t, ".", nil, "docker", "port", id, "8080/tcp"))
	base := "http://" + port[strings.LastIndex(port, "\n")+1:]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	req, err := http.NewRequest(http.MethodPost, base+"/V2.0/services/data/entityQuery", bytes.NewReader([]byte(`{"typeName":"Project"}`)))
	require.NoError(t, err)
	req.Header.Set("Authorization", "ApiKey demo-key-service")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
}
