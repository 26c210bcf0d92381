// Package credentialsapi holds the mock server's models and parameter types
// generated from openapi/credentials.yaml: the same spec as the SDK's
// client/credentialsapi, so the mock's request and response shapes are the
// spec's.
//
// Everything in api.gen.go is generated; do not edit it. Regenerate with
// go generate ./...
package credentialsapi

//go:generate go tool oapi-codegen -config cfg.yaml ../../../../openapi/credentials.yaml
