// Package adminapi holds the models and the client generated from
// openapi/admin.yaml, the mock server's admin API (under /_mock/).
//
// Everything in api.gen.go is generated; do not edit it. Regenerate with
// go generate ./mockserver/...
package adminapi

//go:generate go tool oapi-codegen -config cfg.yaml ../../openapi/admin.yaml
