package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/internal/wire"
)

// maxErrorBody bounds how much of an error response body is read and kept.
const maxErrorBody = 1 << 20

type callKey struct{}

// call is the state of one service method call. The facade puts it in the
// request context: CheckRetry reads the operation from it, and the doer
// records the final response in it, so that an error can be built even when
// the generated parser fails on the body.
type call struct {
	op Operation
	callOptions
	// idempotencyKey is set when the request carries an Idempotency-Key.
	idempotencyKey bool
	// asUser is the AS-USER header the request was sent with ("" for none).
	asUser string
	// resp is the final response, after retries; nil on a transport error.
	resp *captured
	// retries counts the retries waited for; lastResp is the response of
	// the attempt being retried (nil after a network error).
	retries  int
	lastResp *http.Response
	// now is the client's clock.
	now func() time.Time
}

// captured is what the client keeps of a final response.
type captured struct {
	status int
	header http.Header
	body   []byte // error responses only, at most maxErrorBody bytes
	asUser string // the AS-USER header the request was sent with
	path   string // the request path, for path parameters
}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// doer sits between the generated clients and the retry loop. It sees each
// call's request before any attempt and the response after the last one.
type doer struct {
	http   *http.Client
	asUser int64 // client-wide AS-USER
	now    func() time.Time
}

// Do implements the generated packages' HttpRequestDoer.
func (d *doer) Do(req *http.Request) (*http.Response, error) {
	c := callFrom(req.Context())
	if c == nil {
		return d.http.Do(req)
	}
	c.now = d.now
	if err := c.prepare(req, d.asUser); err != nil {
		return nil, err
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return resp, err
	}
	if c.explain != nil {
		*c.explain, _ = parseDecision(resp.Header.Get(wire.DecisionHeader))
	}
	if c.response != nil {
		*c.response = newResponse(resp)
	}
	cp := &captured{status: resp.StatusCode, header: resp.Header, path: req.URL.Path, asUser: c.asUser}
	if !success(resp.StatusCode) {
		// A partial body is still worth keeping; a read error is not the
		// caller's problem here.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		cp.body = body
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	c.resp = cp
	return resp, nil
}

// prepare applies the call's options to its request, once, before the retry
// loop: every attempt is a copy of it.
func (c *call) prepare(req *http.Request, clientAsUser int64) error {
	if c.idemKey != "" {
		req.Header.Set(IdempotencyKeyHeader, c.idemKey)
	}
	if c.explain != nil {
		req.Header.Set(wire.ExplainHeader, "1")
	}
	for _, e := range c.editors {
		if err := e(req.Context(), req); err != nil {
			return err
		}
	}
	c.idempotencyKey = req.Header.Get(IdempotencyKeyHeader) != ""
	if id := resolveAsUser(c.asUserOpt, c.paramAsUser, clientAsUser); id > 0 {
		c.asUser = strconv.FormatInt(id, 10)
		req.Header.Set(auth.AsUserHeader, c.asUser)
	} else {
		req.Header.Del(auth.AsUserHeader)
	}
	return nil
}

// resolveAsUser is the one place that decides which principal a call acts
// as: the AsUser call option, else the generated params' ASUSER field, else
// the client-wide WithAsUser. 0 means none.
func resolveAsUser(option, param *int64, clientWide int64) int64 {
	switch {
	case option != nil:
		return *option
	case param != nil:
		return *param
	}
	return clientWide
}

func success(status int) bool { return status >= 200 && status <= 299 }

// response is what every generated XxxResponse provides.
type response interface {
	StatusCode() int
	ContentType() string
}

// jsonResponse is a generated response with a JSON 200 body of type T.
type jsonResponse[T any] interface {
	response
	GetJSON200() *T
}

// send runs one operation through a generated method and turns every failure
// into an error: transport errors into *OperationError, non-2xx responses
// into *APIError or one of its specialisations.
func send[R response](ctx context.Context, api API, opID string, opts []CallOption, fn func(context.Context) (R, error)) (R, error) {
	var zero R
	op, ok := lookupOperation(api, opID)
	if !ok {
		return zero, &OperationError{API: api, Operation: opID, Err: errors.New("operation is not in the operation table")}
	}
	c := &call{op: op}
	for _, o := range opts {
		if o != nil {
			o(&c.callOptions)
		}
	}
	if c.err != nil {
		return zero, &OperationError{API: api, Operation: opID, Err: c.err}
	}
	if c.response != nil {
		*c.response = Response{}
	}
	resp, err := fn(context.WithValue(ctx, callKey{}, c))
	if err != nil {
		var zero R
		return zero, c.failure(ctx, err)
	}
	if !success(resp.StatusCode()) {
		var zero R
		return zero, c.responseError()
	}
	return resp, nil
}

// sendJSON is send for operations whose 2xx response has a JSON body.
func sendJSON[T any, R jsonResponse[T]](ctx context.Context, api API, opID string, opts []CallOption, fn func(context.Context) (R, error)) (*T, error) {
	resp, err := send(ctx, api, opID, opts, fn)
	if err != nil {
		return nil, err
	}
	v := resp.GetJSON200()
	if v == nil {
		return nil, &OperationError{API: api, Operation: opID,
			Err: fmt.Errorf("%d response is not JSON (Content-Type %q)", resp.StatusCode(), resp.ContentType())}
	}
	return v, nil
}

// failure explains an error returned by a generated method.
func (c *call) failure(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w: %v", ctxErr, err)
	}
	if ctx.Err() == nil {
		if ue := credentialError(c.op, err); ue != nil {
			return ue
		}
	}
	switch {
	case ctx.Err() != nil || c.resp == nil:
		return &OperationError{API: c.op.API, Operation: c.op.ID, Err: err}
	case !success(c.resp.status):
		// The generated parser could not read the error body (not the
		// declared shape, or a Retry-After date); the captured copy
		// still makes a typed error.
		return c.responseError()
	default:
		return &OperationError{API: c.op.API, Operation: c.op.ID,
			Err: fmt.Errorf("decode %d response: %w", c.resp.status, err)}
	}
}

// responseError builds the typed error of the captured non-2xx response.
func (c *call) responseError() error {
	if c.resp == nil {
		return &OperationError{API: c.op.API, Operation: c.op.ID, Err: errors.New("no response recorded")}
	}
	now := c.now
	if now == nil {
		now = time.Now
	}
	return newResponseError(c.op, c.resp, now())
}
