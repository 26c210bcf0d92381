package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tenantkit/tenantkit/internal/wire"
	"io"
	"net/http"
)

// maxRejectedBody bounds how much of a 401 body is kept for Renew and the caller.
const maxRejectedBody = 1 << 20

// Transport applies a Provider and the AS-USER principal to every request
// attempt. When the server answers 401 (or, to a *Session's request, any
// error status with errorCode SessionTimeout) and the Provider is a Renewer
// that renews its credential, the request is sent once more.
//
// The tenantkit client installs a Transport under its retry loop, so every
// retry is authorized afresh. It is exported for callers who build their own
// http.Client.
type Transport struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Provider authorizes each attempt; nil sends requests unauthenticated.
	Provider Provider
	// AsUser is sent as the AS-USER principal on requests that do not
	// already carry an AS-USER header (0: none). The tenantkit client sets
	// the header itself, per call, and leaves this zero.
	AsUser int64
}

// RoundTrip implements http.RoundTripper. Errors from the Provider's Apply
// and Renew are returned unchanged (net/http wraps them in a *url.Error).
// A request with a body is repeated after a renewal only if it has GetBody,
// as requests built by http.NewRequest from a bytes or strings reader do;
// otherwise the 401 is returned and the next request uses the new credential.
// A GetBody that fails is an error that wraps GetBody's.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.attempt(req)
	if err != nil {
		return resp, err
	}
	if resp.StatusCode != http.StatusUnauthorized && !t.sessionTimeout(resp) || refusedProxy(resp) {
		return resp, nil
	}
	renewer, ok := t.Provider.(Renewer)
	if !ok {
		return resp, nil
	}
	// Keep the body: Renew may read it, and if no renewal happens the caller
	// still needs it.
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxRejectedBody))
	resp.Body.Close()
	if rerr != nil {
		return nil, fmt.Errorf("auth: read 401 body: %w", rerr)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	renewed, err := renewer.Renew(req.Context(), resp)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil, err // the provider's error says what failed (a login, a token request)
	}
	if !renewed {
		return resp, nil
	}
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return resp, nil // the body cannot be sent twice
		}
		b, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("auth: the credential was renewed after a 401, but the request body cannot be sent again: %w", err)
		}
		req = req.Clone(req.Context())
		req.Body = b
	}
	return t.attempt(req)
}

// maxPeekedBody bounds how much of an error body sessionTimeout reads.
const maxPeekedBody = 64 << 10

// sessionTimeout reports an answer to a Session's request that is not a
// 401 but whose body carries errorCode SessionTimeout: the data API's vendor
// documents the code, not the status (its errors often come as 500), so such
// an answer is renewed like a 401. It reads at most maxPeekedBody bytes and
// puts them back in front of the rest of the body.
func (t *Transport) sessionTimeout(resp *http.Response) bool {
	if _, ok := t.Provider.(*Session); !ok || resp.StatusCode < 400 {
		return false
	}
	orig := resp.Body
	head, err := io.ReadAll(io.LimitReader(orig, maxPeekedBody))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), orig), orig}
	if err != nil {
		return false
	}
	var e struct {
		ErrorCode string `json:"errorCode"`
	}
	return json.Unmarshal(head, &e) == nil && e.ErrorCode == "SessionTimeout"
}

// refusedProxy reports a 401 that refuses the AS-USER principal, not the
// credential (the relationship API answers an unauthorised proxy 401): the
// tenantkit mock's decision header says so. Renewing the credential would
// not change the answer. Without the header (a real vendor), the 401 is
// renewed once like any other.
func refusedProxy(resp *http.Response) bool {
	h := resp.Header.Get(wire.DecisionHeader)
	if h == "" || resp.Request == nil || resp.Request.Header.Get(AsUserHeader) == "" {
		return false
	}
	var d struct {
		Step string `json:"step"`
	}
	return json.Unmarshal([]byte(h), &d) == nil && d.Step == wire.StepProxy
}

func (t *Transport) attempt(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context()) // a RoundTripper must not modify the caller's request
	if t.AsUser > 0 && r.Header.Get(AsUserHeader) == "" {
		SetAsUser(r, t.AsUser)
	}
	if t.Provider != nil {
		if err := t.Provider.Apply(r); err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, err
		}
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

// ErrNoCredential is returned by providers that were given an empty secret.
var ErrNoCredential = errors.New("empty credential")
