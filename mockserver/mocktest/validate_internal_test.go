package mocktest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
)

// recordingT collects test errors instead of failing the real test.
type recordingT struct {
	testing.TB
	errs []string
}

func (r *recordingT) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// The validating transport reports a response that breaks its operation's
// spec, and one without the decision header; a conforming one passes.
func TestValidatingTransportCatchesSpecViolations(t *testing.T) {
	cases := []struct {
		name, body string
		decision   bool
		wantErr    string
	}{
		{"conforming", `[{"id":"basicAuth","name":"basicAuth","displayOrder":[],"required":[]}]`, true, ""},
		{"wrong type", `[{"name":7}]`, true, "does not match the spec"},
		{"envelope instead of the array", `{"entities":[]}`, true, "does not match the spec"},
		{"no decision header", `[]`, false, "has no X-Tenantkit-Decision header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.decision {
					w.Header().Set(wire.DecisionHeader, wire.Decision{Operation: "listCredentialTypes", Outcome: wire.OutcomeAllow}.Encode())
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			rt := &recordingT{TB: t}
			vt, err := newValidatingTransport(rt, srv.Client().Transport, nil)
			require.NoError(t, err)
			hc := &http.Client{Transport: vt}
			resp, err := hc.Get(srv.URL + "/api/v2/integrations/credentials/types")
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			assert.Equal(t, tc.body, string(body), "the body reaches the caller intact")
			if tc.wantErr == "" {
				assert.Empty(t, rt.errs)
				return
			}
			require.Len(t, rt.errs, 1)
			assert.Contains(t, rt.errs[0], tc.wantErr)
		})
	}
}
