package data

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/tenantkit/tenantkit/mockserver/internal/api/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
)

// Bulk is bulkExecute's handler: it runs each sub-request, in order,
// through run (the server's request path for one sub-request: routing,
// decision, validation, handler, audit and usage, for the subject the
// outer call resolved) and answers 200 with the sub-responses. The spec
// bounds the number of sub-requests (maxItems), checked by validation
// before this runs. A cancelled or timed-out outer request stops before
// the next sub-request.
func Bulk(run pipeline.SubRunner) pipeline.Handler {
	return func(rc *pipeline.Request) error {
		req, err := decodeBody[dataapi.BulkRequest](rc)
		if err != nil {
			return err
		}
		if req.Transactional != nil && *req.Transactional {
			return pipeline.BadRequest("transactional", "transactional bulk requests are not supported by the mock: the vendor does not document their semantics; send transactional: false")
		}
		// The sub-requests' bodies exactly as sent (the generated model
		// holds them decoded, numbers as float64); encoding/json matches
		// the vendor SDK's PascalCase keys to these names too.
		var raw struct {
			Requests []struct {
				Body json.RawMessage `json:"body"`
			} `json:"requests"`
		}
		if err := json.Unmarshal(rc.Body, &raw); err != nil || len(raw.Requests) != len(req.Requests) {
			return pipeline.BadRequest("requests", "the requests cannot be read")
		}
		ctx := rc.WorkContext()
		out := dataapi.BulkResult{Responses: make([]dataapi.BulkSubResponse, 0, len(req.Requests))}
		for i, sr := range req.Requests {
			if err := ctx.Err(); err != nil {
				return err // the outer request was cancelled or timed out
			}
			body := raw.Requests[i].Body
			if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
				body = nil
			}
			res := run(rc, sr.Method, sr.Url, body)
			var b any = json.RawMessage(res.Body)
			if len(bytes.TrimSpace(res.Body)) == 0 || !json.Valid(res.Body) {
				b = nil
			}
			out.Responses = append(out.Responses, dataapi.BulkSubResponse{StatusCode: res.Status, Body: b})
		}
		rc.WriteJSON(http.StatusOK, "application/json", out)
		return nil
	}
}
