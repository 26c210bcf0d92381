package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/client/dataapi"
)

// dataServicesBase is the prefix bulk sub-request URLs are relative to.
const dataServicesBase = "/V2.0/services"

// BulkRequest is one sub-request of DataService.Bulk.
type BulkRequest struct {
	// Method is GET, POST, PUT or DELETE, as the operation takes it.
	Method string
	// URL is the operation's path relative to /V2.0/services, as the
	// vendor's bulk API takes it: "/data/entityQuery",
	// "data/objects/Project/1?fields=Name".
	URL string
	// Body is the operation's request body, encoded as JSON (a generated
	// request model, a map, or json.RawMessage); nil sends none.
	Body any
}

// BulkResponse is the answer to one sub-request: the status and the body
// the operation would have answered alone.
type BulkResponse struct {
	StatusCode int
	Body       json.RawMessage // null when the sub-request had no body
	// Request is the sub-request this answers.
	Request BulkRequest
}

// OK reports a 2xx sub-response.
func (r *BulkResponse) OK() bool { return success(r.StatusCode) }

// Err is nil for a 2xx sub-response, else the SDK's typed error for it
// (*PermissionError, *ObjectAccessError, *NotFoundError, *ValidationError,
// ... as the operation alone would fail), read from its body: a
// sub-response carries no headers, so the error has no Decision.
func (r *BulkResponse) Err() error {
	if r.OK() {
		return nil
	}
	op, p := bulkOperation(r.Request)
	return newResponseError(op, &captured{status: r.StatusCode, header: http.Header{}, body: r.Body, path: p}, time.Now())
}

// Decode decodes a 2xx sub-response's body into v (a pointer to the
// operation's result model, e.g. *dataapi.EntityQueryResult); any other
// sub-response returns Err.
func (r *BulkResponse) Decode(v any) error {
	if err := r.Err(); err != nil {
		return err
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		op, _ := bulkOperation(r.Request)
		return &OperationError{API: DataAPI, Operation: op.ID, Err: fmt.Errorf("bulk sub-response: %w", err)}
	}
	return nil
}

// bulkOperation finds the data API operation a sub-request names (by
// method and path), and the sub-request's full path; an unknown one reads
// as bulkExecute.
func bulkOperation(req BulkRequest) (Operation, string) {
	p := req.URL
	if u, err := url.Parse(req.URL); err == nil {
		p = u.Path
	}
	p = path.Clean(dataServicesBase + "/" + strings.TrimPrefix(p, "/"))
	method := strings.ToUpper(req.Method)
	for _, op := range operationTable {
		if op.API == DataAPI && op.Method == method && templateMatches(op.Path, p) {
			return op, p
		}
	}
	op, _ := lookupOperation(DataAPI, "bulkExecute")
	return op, p
}

// templateMatches reports whether path p matches an operation's path
// template ("{name}" matches one segment).
func templateMatches(template, p string) bool {
	t := strings.Split(strings.Trim(template, "/"), "/")
	s := strings.Split(strings.Trim(p, "/"), "/")
	if len(t) != len(s) {
		return false
	}
	for i, seg := range t {
		if !strings.HasPrefix(seg, "{") && seg != s[i] {
			return false
		}
	}
	return true
}

// Bulk runs several data API requests in one call (bulk/execute). Each
// sub-request is judged, validated and answered as it would be alone,
// with this client's credential: the call fails only when the bulk call
// itself does (no credential, more than 100 sub-requests, a rate limit);
// a refused or malformed sub-request is a sub-response with its status
// and error body (BulkResponse.Err). Sub-responses come in the order of
// reqs.
func (s *DataService) Bulk(ctx context.Context, reqs []BulkRequest, opts ...CallOption) ([]BulkResponse, error) {
	body := dataapi.BulkRequest{Requests: make([]dataapi.BulkSubRequest, len(reqs))}
	for i, r := range reqs {
		body.Requests[i] = dataapi.BulkSubRequest{Method: strings.ToUpper(r.Method), Url: r.URL, Body: r.Body}
	}
	resp, err := send(ctx, DataAPI, "bulkExecute", opts, func(ctx context.Context) (*dataapi.BulkExecuteResponse, error) {
		return s.api.BulkExecuteWithResponse(ctx, body)
	})
	if err != nil {
		return nil, err
	}
	var res struct {
		Responses []struct {
			StatusCode int             `json:"statusCode"`
			Body       json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(resp.Body, &res); err != nil {
		return nil, &OperationError{API: DataAPI, Operation: "bulkExecute", Err: fmt.Errorf("decoding the response: %w", err)}
	}
	if len(res.Responses) != len(reqs) {
		return nil, &OperationError{API: DataAPI, Operation: "bulkExecute",
			Err: fmt.Errorf("%d sub-responses for %d sub-requests", len(res.Responses), len(reqs))}
	}
	out := make([]BulkResponse, len(reqs))
	for i, r := range res.Responses {
		out[i] = BulkResponse{StatusCode: r.StatusCode, Body: r.Body, Request: reqs[i]}
	}
	return out, nil
}
