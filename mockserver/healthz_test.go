package mockserver_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

func TestHealthPath(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := newHarness(t, mockserver.WithLogger(log))

	r := h.do(http.MethodGet, mockserver.HealthPath, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	assert.JSONEq(t, `{"status":"ok","tenants":1}`, string(r.body))
	assert.Empty(t, r.header.Get(wire.DecisionHeader), "not a vendor operation")

	r = h.do(http.MethodHead, mockserver.HealthPath, nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Empty(t, r.body)

	r = h.do(http.MethodPost, mockserver.HealthPath, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	assert.Equal(t, "GET, HEAD", r.header.Get("Allow"))
	assert.Equal(t, "method_not_allowed", r.object(t)["error"])

	// Only the exact path: sub-paths are not the probe.
	assert.Equal(t, http.StatusNotFound, h.do(http.MethodGet, mockserver.HealthPath+"/x", nil).status)

	assert.Empty(t, h.srv.DefaultTenant().Audit(tenant.AuditFilter{}), "probes are not audited")

	// Probe requests are logged at debug level, other requests at info.
	var levels []string
	for line := range strings.Lines(logs.String()) {
		var rec struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Path  string `json:"path"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		if rec.Msg == "request" {
			levels = append(levels, rec.Path+" "+rec.Level)
		}
	}
	assert.Equal(t, []string{
		"/healthz DEBUG", "/healthz DEBUG", "/healthz DEBUG", "/healthz/x INFO",
	}, levels)
}
