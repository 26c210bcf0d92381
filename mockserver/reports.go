package mockserver

import (
	"fmt"
	"slices"

	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/internal/generic"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/report"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// The reports are package report's; these names keep them where users of
// the mock found them.
type (
	Report             = report.Report
	CredentialReport   = report.CredentialReport
	PrincipalReport    = report.PrincipalReport
	Grant              = report.Grant
	OperationUse       = report.OperationUse
	Manifest           = report.Manifest
	ManifestCredential = report.ManifestCredential
	ManifestPrincipal  = report.ManifestPrincipal
	VisibilityDiff     = report.VisibilityDiff
	RowSet             = report.RowSet
	CredentialView     = report.CredentialView
	RowDifference      = report.RowDifference
)

// ParseManifest reads a manifest; errors name the source and line.
func ParseManifest(name string, data []byte) (*Manifest, error) {
	return report.ParseManifest(name, data)
}

// LoadManifest reads a manifest file.
func LoadManifest(path string) (*Manifest, error) { return report.LoadManifest(path) }

// MergeReports merges the reports of several runs (report.MergeReports).
func MergeReports(reports ...*Report) *Report { return report.MergeReports(reports...) }

// LeastPrivilege builds the least-privilege report of a tenant ("default"
// names the default tenant) from what its credentials used since it was
// built or reset. Every API key and OAuth client is listed, used or not.
func (s *Server) LeastPrivilege(tenantID string) (*Report, error) {
	t, ok := s.Tenant(tenantID)
	if !ok {
		return nil, fmt.Errorf("mockserver: no tenant %q", tenantID)
	}
	return report.Build(t), nil
}

// Visibility builds the visibility diff for a user and an entity type of a
// tenant ("default" names the default tenant). Each credential is judged by
// the decision function for its read operation, as under enforcement:
// enforce; nothing is recorded in the audit log.
func (s *Server) Visibility(tenantID string, user int64, entityType string) (*VisibilityDiff, error) {
	t, ok := s.Tenant(tenantID)
	if !ok {
		return nil, fmt.Errorf("mockserver: no tenant %q", tenantID)
	}
	return report.Visibility(t, user, entityType, s.rowRead, func(cred decide.Credential, api, op, entityType string) *tenant.StepDenial {
		return s.readDenial(t, cred, api, op, entityType)
	})
}

// rowRead is the read a credential of kind is judged by for a type: for
// an entity type, the vendor operation whose spec marks it x-row-read and
// that accepts credentials of kind (of the first API, in API order, that
// has one; the first by operationId); for a loaded API's resource type,
// that API's list operation of the type that accepts kind.
func (s *Server) rowRead(kind decide.Kind, typeName string) report.Read {
	for _, a := range s.apis().loaded {
		rt, ok := a.Resources[typeName]
		if !ok {
			continue
		}
		sp := s.env.Specs().API(a.APIName())
		var ids []string
		for id, r := range sp.Routes {
			if op := a.Operations[id]; op != nil && op.Action == generic.ActionList && op.Resource == typeName && slices.Contains(r.Rule.Accepts, kind) {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return report.Read{}
		}
		id := slices.Min(ids)
		return report.Read{API: rt.API, Operation: id, Rows: a.Operations[id].Rows, NameField: a.ResourceNames[typeName]}
	}
	for _, sp := range s.env.Specs().Vendor {
		var ids []string
		for id, rt := range sp.Routes {
			if rt.Op.RowRead && slices.Contains(rt.Rule.Accepts, kind) {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			return report.Read{API: string(sp.API), Operation: slices.Min(ids), Rows: tenant.RowsEnforce}
		}
	}
	return report.Read{}
}

// readDenial asks the decision function about a read of entityType by a
// credential (no AS-USER), as under enforcement: enforce, and returns the
// first step that fails, or nil when the read is allowed.
func (s *Server) readDenial(t *tenant.Tenant, cred decide.Credential, api, opID, entityType string) *tenant.StepDenial {
	var rt *pipeline.Route
	if sp := s.env.Specs().API(openapi.API(api)); sp != nil {
		rt = sp.Routes[opID]
	}
	if rt == nil {
		return &tenant.StepDenial{Step: "operation", Code: "unknown_operation", Missing: []string{opID}}
	}
	if cred.Kind == decide.KindBearer {
		cred.API = rt.Op.API // a token of the operation's own API
	}
	v := decide.Decide(&rt.Rule, &decide.Subject{Policy: t, Cred: cred, Now: s.env.Clock()}, decide.Facts{EntityType: entityType})
	if v.Failure == nil {
		return nil
	}
	d := v.Failure.StepDenial
	return &d
}
