package mockserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Many goroutines read and write one tenant at once (run with -race).
func TestHammerOneTenant(t *testing.T) {
	h := newHarness(t)
	genesys := bearer(h.token(genesysToken, "demo-admin", "demo-admin-secret", ""))
	dealcloud := bearer(h.token(dealcloudToken, "demo-integrator", "demo-integrator-secret", ""))
	svc := apiKey("demo-key-service")

	const workers, rounds = 12, 15
	var wg sync.WaitGroup
	errs := make(chan string, workers*rounds*8)
	// check runs on worker goroutines, so it reports instead of failing.
	check := func(r *response, err error) func(want int, what string) map[string]any {
		return func(want int, what string) map[string]any {
			if err != nil {
				errs <- fmt.Sprintf("%s: %v", what, err)
				return nil
			}
			if r.status != want {
				errs <- fmt.Sprintf("%s: %d %s", what, r.status, r.body)
			}
			var m map[string]any
			_ = json.Unmarshal(r.body, &m)
			return m
		}
	}
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				created := check(h.try(http.MethodPut, "/V2.0/services/data/objects/Project", map[string]any{"Name": fmt.Sprintf("w%d-%d", w, i), "Budget": i}, svc...))(http.StatusOK, "create")
				if id, ok := created["id"].(string); ok {
					check(h.try(http.MethodPost, "/V2.0/services/data/objects"+id, map[string]any{"State": "Active"}, svc...))(http.StatusOK, "update")
				}
				check(h.try(http.MethodPost, entityQuery, map[string]any{"typeName": "Project", "paging": map[string]any{"limit": 5}}, svc...))(http.StatusOK, "query")
				check(h.try(http.MethodGet, rowsPath+"Deals", nil, hdrs(dealcloud, []string{"AS-USER", "6045"})...))(http.StatusOK, "rows")
				c := check(h.try(http.MethodPost, credentials, map[string]any{"name": "c", "type": map[string]any{"name": "userDefined"},
					"credentialFields": map[string]string{"endpoint": "https://x.example"}}, genesys...))(http.StatusOK, "create credential")
				if id, ok := c["id"].(string); ok {
					check(h.try(http.MethodGet, credentials+"/"+id, nil, genesys...))(http.StatusOK, "get credential")
					check(h.try(http.MethodDelete, credentials+"/"+id, nil, genesys...))(http.StatusNoContent, "delete credential")
				}
				check(h.try(http.MethodGet, credentials+"/listing?pageSize=2", nil, genesys...))(http.StatusOK, "cursor")
				_ = h.srv.DefaultTenant().Audit(tenant.AuditFilter{Limit: 10})
				_ = h.srv.DefaultTenant().Settings()
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	p := h.query(t, map[string]any{"typeName": "Project", "paging": map[string]any{"limit": 5000}}, svc...)
	assert.Len(t, p.Entities, 4+workers*rounds, "every created project, owned by the service account, is visible to it")
	assert.Len(t, h.srv.DefaultTenant().Credentials(), 4)
}

// One structured line per request, and never a secret.
func TestLogsCarryNoSecrets(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	h := newHarness(t, mockserver.WithLogger(logger))
	tok := h.token(genesysToken, "demo-integrator", "demo-integrator-secret", "")
	h.do(http.MethodGet, credentials+"/"+firstCredential, nil, bearer(tok)...)
	h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Project"}, apiKey("demo-key-service")...)
	loginSession(t, h, "bob@demo.tenantkit.dev")

	mu.Lock()
	out := buf.String()
	mu.Unlock()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4)
	assert.Contains(t, lines[1], `"operation":"getCredential"`)
	assert.Contains(t, lines[1], `"status":200`)
	assert.Contains(t, lines[1], `"outcome":"allow"`)
	for _, secret := range []string{"demo-integrator-secret", tok, "demo-key-service", "nw-Sync-2026!", "demo-password"} {
		assert.NotContains(t, out, secret)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
