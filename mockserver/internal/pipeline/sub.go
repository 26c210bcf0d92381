package pipeline

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// SubResponse is what a bulk sub-request was answered: its status and
// body, as the operation would answer them alone.
type SubResponse struct {
	Status int
	Body   []byte
}

// SubRunner runs one sub-request of outer (a bulk call) through the request
// path: routing, the decision, validation, the handler, audit and usage
// (the server composes it: mockserver.runSub).
type SubRunner func(outer *Request, method, target string, body []byte) SubResponse

// subWriter keeps a sub-request's answer in memory.
type subWriter struct {
	h    http.Header
	code int
	buf  bytes.Buffer
}

func (w *subWriter) Header() http.Header { return w.h }
func (w *subWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *subWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.buf.Write(b)
}

// Sub is a sub-request of rc, a bulk call of base's API (base: the path
// prefix its sub-requests' URLs are relative to, "/V2.0/services"): method
// on target (relative to base, with or without a leading slash, with an
// optional query string) with a JSON body. It carries rc's credential and
// its subject, resolved once for the outer request (never resolved again),
// runs in rc's work context (a cancelled outer request stops it) and
// writes into memory (Result). A target that leaves base, or a method
// net/http refuses, is an error, for the caller to answer in sub.
func (rc *Request) Sub(base, method, target string, body []byte) (*Request, *Error) {
	bad := BadRequest("url", "a sub-request's url is a path relative to %s, e.g. /data/entityQuery", base)
	u, err := url.Parse(target)
	if err == nil && !u.IsAbs() && u.Host == "" && u.Opaque == "" {
		p := path.Clean(base + "/" + strings.TrimPrefix(u.Path, "/"))
		if strings.HasPrefix(p, base+"/") {
			u.Path, u.RawPath, bad = p, "", nil
		}
	}
	if bad != nil {
		u, method = &url.URL{Path: base}, http.MethodPost
	}
	r, err := http.NewRequestWithContext(rc.WorkContext(), strings.ToUpper(method), u.String(), nil)
	if err != nil { // a method net/http refuses
		bad = BadRequest("method", "a sub-request's method is GET, POST, PUT or DELETE")
		r, _ = http.NewRequestWithContext(rc.WorkContext(), http.MethodPost, base, nil)
	}
	if len(body) > 0 && bad == nil {
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		r.Header.Set("Content-Type", "application/json")
	}
	r.Host, r.RemoteAddr = rc.R.Host, rc.R.RemoteAddr
	// The outer call's credential, and its AS-USER header: Authorize reads
	// it only where the sub-request's operation declares it.
	for _, name := range []string{"Authorization", asUserCanonical} {
		if v := rc.R.Header.Get(name); v != "" {
			r.Header.Set(name, v)
		}
	}
	sub := &Request{env: rc.env, specs: rc.specs, R: r, Vendor: true, Surface: rc.Surface, CorrelationID: newCorrelationID()}
	sub.rec = Recorder{ResponseWriter: &subWriter{h: http.Header{}}}
	sub.W = &sub.rec
	rc.Subject()
	sub.subject, sub.resolved = rc.subject, true
	sub.Tenant, sub.Settings, sub.SessionID = rc.Tenant, rc.Settings, rc.SessionID
	sub.work = rc.work
	return sub, bad
}

// Result is what a sub-request made by Sub was answered.
func (rc *Request) Result() SubResponse {
	w, ok := rc.rec.ResponseWriter.(*subWriter)
	if !ok {
		return SubResponse{}
	}
	return SubResponse{Status: w.code, Body: bytes.Clone(w.buf.Bytes())}
}
