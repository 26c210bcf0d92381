// Package token is the OAuth client-credentials token endpoint the
// credentials and relationship APIs share (Handle): the server binds it to
// each API's token operation (apis.go). It answers in each API's own
// TokenResponse model.
//
// Like every handler package it may import the request path
// (internal/pipeline), the decision, the tenant, the generated models and
// internal/wire; never another API's handlers, the resilience layer or the
// server (mockserver).
package token
