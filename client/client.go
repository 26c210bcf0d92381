package client

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/client/credentialsapi"
	"github.com/tenantkit/tenantkit/client/dataapi"
	"github.com/tenantkit/tenantkit/client/relationshipapi"
)

// Version is the SDK version sent in the default User-Agent.
const Version = "0.1.0"

// DefaultUserAgent is sent when no WithUserAgent option is given.
const DefaultUserAgent = "tenantkit-go/" + Version

// dataServicesSuffix is the path a Clarizen serverLocation ends in; the data
// spec's paths already start with it.
const dataServicesSuffix = "/V2.0/services"

// Client talks to the three vendor APIs of one tenant. Create it with New; it
// is safe for concurrent use.
type Client struct {
	// Data is the work-management data API (Clarizen REST v2 shape).
	Data *DataService
	// Credentials is the integration-credentials API (Genesys Cloud shape).
	Credentials *CredentialsService
	// Relationship is the relationship-data API (DealCloud shape).
	Relationship *RelationshipService

	baseURL string
	retry   RetryPolicy
	doer    *doer
}

// New returns a Client for the vendor host at baseURL (scheme and host, e.g.
// "http://127.0.0.1:8080"; the operation paths are appended to it). A Clarizen
// serverLocation ending in /V2.0/services is accepted too: the suffix is
// dropped for the data API, whose paths already include it.
//
// Options are applied in order; the first invalid one makes New fail.
func New(baseURL string, opts ...Option) (*Client, error) {
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	s := defaultSettings()
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("tenantkit: nil option")
		}
		if err := opt(s); err != nil {
			return nil, fmt.Errorf("tenantkit: %w", err)
		}
	}

	c := &Client{baseURL: base, retry: s.retry}
	c.doer = &doer{http: c.buildHTTPClient(s), asUser: s.asUser, now: s.now}
	if c.doer.now == nil {
		c.doer.now = time.Now
	}

	dataBase := strings.TrimSuffix(base, dataServicesSuffix)
	data, err := dataapi.NewClientWithResponses(dataBase,
		dataapi.WithHTTPClient(c.doer),
		dataapi.WithRequestEditorFn(dataapi.RequestEditorFn(s.editor())))
	if err != nil {
		return nil, fmt.Errorf("tenantkit: data client: %w", err)
	}
	creds, err := credentialsapi.NewClientWithResponses(base,
		credentialsapi.WithHTTPClient(c.doer),
		credentialsapi.WithRequestEditorFn(credentialsapi.RequestEditorFn(s.editor())))
	if err != nil {
		return nil, fmt.Errorf("tenantkit: credentials client: %w", err)
	}
	rel, err := relationshipapi.NewClientWithResponses(base,
		relationshipapi.WithHTTPClient(c.doer),
		relationshipapi.WithRequestEditorFn(relationshipapi.RequestEditorFn(s.editor())))
	if err != nil {
		return nil, fmt.Errorf("tenantkit: relationship client: %w", err)
	}
	c.Data = &DataService{api: data}
	c.Credentials = &CredentialsService{api: creds}
	c.Relationship = &RelationshipService{api: rel}
	return c, nil
}

// BaseURL returns the vendor host the client sends requests to.
func (c *Client) BaseURL() string { return c.baseURL }

// RetryPolicy returns the retry policy in force.
func (c *Client) RetryPolicy() RetryPolicy { return c.retry }

// buildHTTPClient assembles the transport stack:
//
//	generated client → doer (captures the final response)
//	→ retryablehttp StandardClient (the retry loop)
//	→ retryablehttp.HTTPClient, a copy of the caller's client whose Transport is
//	  bodyReader (reads each response body whole, so that a connection cut
//	  mid-body is a failed attempt the retry loop sees)
//	→ auth.Transport (credential and AS-USER on every attempt)
//	→ the caller's transport, or a pooled one → network.
func (c *Client) buildHTTPClient(s *settings) *http.Client {
	inner := &http.Client{}
	if s.httpClient != nil {
		cp := *s.httpClient // copied, never mutated
		inner = &cp
	}
	base := inner.Transport
	if base == nil {
		base = cleanhttp.DefaultPooledTransport()
	}
	provider := s.provider
	if len(s.apiProviders) > 0 {
		provider = &apiProvider{def: s.provider, byAPI: s.apiProviders}
	}
	inner.Transport = &bodyReader{base: &auth.Transport{Base: base, Provider: provider}}

	rc := retryablehttp.NewClient()
	rc.HTTPClient = inner
	rc.Logger = nil // retryablehttp logs to stderr by default
	if s.logger != nil {
		rc.Logger = s.logger // *slog.Logger is a retryablehttp.LeveledLogger
	}
	rc.RetryMax = s.retry.MaxRetries
	rc.RetryWaitMin = s.retry.MinWait
	rc.RetryWaitMax = s.retry.MaxWait
	r := newRetrier(s.retry)
	if s.now != nil {
		r.now = s.now
	}
	if s.sleep != nil {
		r.sleep = s.sleep
	}
	rc.CheckRetry = r.checkRetry
	rc.Backoff = noWait
	rc.PrepareRetry = r.prepareRetry
	rc.ErrorHandler = keepLastResponse
	return rc.StandardClient()
}

func parseBaseURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("tenantkit: base URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("tenantkit: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("tenantkit: base URL %q: scheme must be http or https", redactURL(raw))
	}
	if u.Host == "" {
		return "", fmt.Errorf("tenantkit: base URL %q has no host", redactURL(raw))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("tenantkit: base URL must not contain user info, a query or a fragment")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// maxResponseBody bounds a response body the client reads (the generated
// code reads every body whole too).
const maxResponseBody = 256 << 20

// bodyReader reads every response body before the retry loop decides on the
// attempt. A body cut short (the connection dropped after the headers, fewer
// bytes than Content-Length) is then a failed attempt, retried like any
// network error when the request is replay-safe, instead of a decode error
// after the retries are over.
type bodyReader struct {
	base http.RoundTripper
}

func (b *bodyReader) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.base.RoundTrip(req)
	if err != nil || resp.Body == nil || resp.Body == http.NoBody {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read %d response body: %w", resp.StatusCode, err)
	}
	if len(body) > maxResponseBody {
		return nil, fmt.Errorf("%d response body is larger than %d bytes", resp.StatusCode, maxResponseBody)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
