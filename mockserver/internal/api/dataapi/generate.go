// Package dataapi holds the mock server's models and parameter types
// generated from openapi/data.yaml: the same spec as the SDK's
// client/dataapi, so the mock's request and response shapes are the
// spec's.
//
// Everything in api.gen.go is generated; do not edit it. Regenerate with
// go generate ./...
package dataapi

//go:generate go tool oapi-codegen -config cfg.yaml ../../../../openapi/data.yaml
