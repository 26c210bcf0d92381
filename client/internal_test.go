package client

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/client/dataapi"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Authorization: Bearer eyJhbGciOi.x.y rejected", "Authorization: Bearer [REDACTED] rejected"},
		{"bad key ApiKey k-123456", "bad key ApiKey [REDACTED]"},
		{"Session timed out", "Session timed out"},
		{"Session 4f2c9a1b-77 unknown", "Session [REDACTED] unknown"},
		{"grant_type=client_credentials&client_secret=s3cr3t&scope=data", "grant_type=client_credentials&client_secret=[REDACTED]&scope=data"},
		{`{"password":"hunter2"}`, `{"password":"[REDACTED]"}`},
		{"password: must not be empty", "password: must not be empty"},
		{"GET https://h.example.com/api?access_token=abc123 failed", "GET https://h.example.com/api failed"},
		{"line one\nline two\r\n", "line one line two"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, redact(tt.in), tt.in)
	}
	long := redact(strings.Repeat("a", 1000))
	assert.Len(t, []rune(long), maxMessage+1)
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	h := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"1", time.Second, true},
		{"0", 0, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{"Tue, 03 Nov 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Tuesday, 03-Nov-26 10:01:00 GMT", time.Minute, true}, // RFC 850
		{"Tue, 03 Nov 2026 09:00:00 GMT", 0, true},             // in the past
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(h(tt.in), now)
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	p := DefaultRetryPolicy()
	for attempt := range 10 {
		d := p.backoff(10*time.Millisecond, 200*time.Millisecond, attempt, nil, time.Now())
		assert.GreaterOrEqual(t, d, 10*time.Millisecond)
		assert.LessOrEqual(t, d, 200*time.Millisecond)
	}
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"2"}}}
	assert.Equal(t, 2*time.Second, p.backoff(time.Millisecond, time.Millisecond, 0, resp, time.Now()))
}

func TestPathParam(t *testing.T) {
	t.Parallel()
	v, ok := pathParam("/api/rest/v4/data/entrydata/rows/query/{entryType}", "/prefix/api/rest/v4/data/entrydata/rows/query/Deals", "entryType")
	require.True(t, ok)
	assert.Equal(t, "Deals", v)
	_, ok = pathParam("/a/{x}/b", "/b", "x")
	assert.False(t, ok)
}

func TestConditionsEncode(t *testing.T) {
	t.Parallel()
	cond := And(
		Compare("State", dataapi.Equal, "Active"),
		Or(Compare("Priority", dataapi.In, []int{1, 2}), Not(CZQL("Name LIKE :n", map[string]any{"n": "A%"}))),
		CompareFields("StartDate", dataapi.LessThan, "DueDate"),
	)
	b, err := json.Marshal(dataapi.EntityQueryRequest{TypeName: "Project", Where: Where(cond)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"typeName":"Project","where":{"_type":"and","and":[
		{"_type":"compare","leftExpression":{"fieldName":"State"},"operator":"Equal","rightExpression":{"value":"Active"}},
		{"_type":"or","or":[
			{"_type":"compare","leftExpression":{"fieldName":"Priority"},"operator":"In","rightExpression":{"values":[1,2]}},
			{"_type":"not","not":{"_type":"cZQLCondition","text":"Name LIKE :n","parameters":{"n":"A%"}}}]},
		{"_type":"compare","leftExpression":{"fieldName":"StartDate"},"operator":"LessThan","rightExpression":{"fieldName":"DueDate"}}]}}`, string(b))

	empty, err := json.Marshal(And())
	require.NoError(t, err)
	assert.JSONEq(t, `{"_type":"and","and":[]}`, string(empty))

	assert.Panics(t, func() { Compare("x", dataapi.Equal, make(chan int)) })
}

// The real sleeper ends with the context.
func TestSleepContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, sleepContext(ctx, time.Hour), context.Canceled)
	assert.NoError(t, sleepContext(t.Context(), 0))
	assert.NoError(t, sleepContext(t.Context(), time.Nanosecond))
}
