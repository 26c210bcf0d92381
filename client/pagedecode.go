package client

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	gojson "github.com/goccy/go-json"

	"github.com/tenantkit/tenantkit/client/dataapi"
)

// Entity pages are most of what a data-lake export reads, and the generated
// decoder reads each entity twice (into raw messages, then each field
// again). A 200 page of the data API is decoded here in one pass, with
// goccy/go-json (a drop-in, faster encoding/json), into the same values the
// generated decoder gives; anything unexpected falls back to the generated
// decoder, so errors read the same.

// parseEntityPage answers an entityQuery or query response like the
// generated Parse functions.
func parseEntityPage(rsp *http.Response, generated func(*http.Response) (*dataapi.EntityQueryResponse, error)) (*dataapi.EntityQueryResponse, error) {
	if rsp.StatusCode != http.StatusOK || !strings.Contains(rsp.Header.Get("Content-Type"), "json") {
		return generated(rsp)
	}
	body, err := io.ReadAll(rsp.Body)
	_ = rsp.Body.Close()
	if err != nil {
		return nil, err
	}
	if page, ok := decodeEntityPage(body); ok {
		return &dataapi.EntityQueryResponse{Body: body, HTTPResponse: rsp, JSON200: page}, nil
	}
	rsp.Body = io.NopCloser(bytes.NewReader(body))
	return generated(rsp)
}

// entityPage is dataapi.EntityQueryResult with each entity as a plain map.
type entityPage struct {
	Entities []map[string]any `json:"entities"`
	Paging   dataapi.Paging   `json:"paging"`
}

// decodeEntityPage decodes {"entities": [...], "paging": {...}} as
// encoding/json decodes a dataapi.EntityQueryResult; ok is false when the
// body is anything else (including invalid JSON, or an id that is not a
// string).
func decodeEntityPage(b []byte) (*dataapi.EntityQueryResult, bool) {
	var p entityPage
	if err := gojson.Unmarshal(b, &p); err != nil {
		return nil, false
	}
	out := &dataapi.EntityQueryResult{Paging: p.Paging}
	if p.Entities != nil {
		out.Entities = make([]dataapi.Entity, len(p.Entities))
	}
	for i, m := range p.Entities {
		var e dataapi.Entity
		if v, found := m["id"]; found {
			id, isString := v.(string)
			if !isString && v != nil {
				return nil, false
			}
			e.Id = id
			delete(m, "id")
		}
		if len(m) > 0 {
			e.AdditionalProperties = m
		}
		out.Entities[i] = e
	}
	return out, true
}
