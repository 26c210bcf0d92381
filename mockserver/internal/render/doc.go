// Package render writes entities as the data and relationship APIs answer
// them: field lists resolved against a type (Projection), references shown
// only as the effective user may read them, the streaming entity-page
// encoder, and the map form of a single entity.
//
// It is shared by the handler packages and may import the decision, the
// tenant and the generated models; never the request path, the resilience
// layer, a handler package or the server.
package render
