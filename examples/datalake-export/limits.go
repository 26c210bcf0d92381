package main

import (
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tenantkit/tenantkit/openapi"
)

// maxPageSizes reads from the specs the most rows one request may ask for,
// per source: the data API's Paging.limit and the relationship API's
// getRows limit parameter.
func maxPageSizes() (map[string]int, error) {
	out := map[string]int{}
	data, err := openapi.Load(openapi.Data)
	if err != nil {
		return nil, err
	}
	if p := data.Components.Schemas["Paging"]; p != nil && p.Value != nil {
		if l := p.Value.Properties["limit"]; l != nil && l.Value != nil && l.Value.Max != nil {
			out["data"] = int(*l.Value.Max)
		}
	}
	rel, err := openapi.Load(openapi.Relationship)
	if err != nil {
		return nil, err
	}
	for _, item := range rel.Paths.Map() {
		if op := item.Get; op != nil && op.OperationID == "getRows" {
			if l := findParam(op.Parameters, "limit"); l != nil && l.Schema != nil && l.Schema.Value.Max != nil {
				out["rows"] = int(*l.Schema.Value.Max)
			}
		}
	}
	if out["data"] == 0 || out["rows"] == 0 {
		return nil, fmt.Errorf("the specs state no page size maximum (data: %d, rows: %d)", out["data"], out["rows"])
	}
	return out, nil
}

func findParam(ps openapi3.Parameters, name string) *openapi3.Parameter {
	for _, p := range ps {
		if p.Value != nil && p.Value.In == "query" && p.Value.Name == name {
			return p.Value
		}
	}
	return nil
}
