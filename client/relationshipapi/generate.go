// Package relationshipapi holds the models and the low-level client generated from
// openapi/relationship.yaml. Most callers use the facade in package client instead.
//
// Everything in api.gen.go is generated; do not edit it. Regenerate with
// go generate ./...
package relationshipapi

//go:generate go tool oapi-codegen -config cfg.yaml ../../openapi/relationship.yaml
