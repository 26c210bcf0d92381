package relationship

import (
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/internal/query"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// parseFilter parses a rows request's filter within the spec's limits and
// resolves its field names, case-insensitively, against et: the row id
// (EntryId) or a declared field. An unknown field is a 400 in the
// vendor's wording.
func parseFilter(rc *pipeline.Request, et *tenant.EntityType, text string) (query.Expr, error) {
	filter, err := rc.Route.Spec.Extra.(*spec).filterLimits.ParseFilter(text)
	if err != nil {
		return nil, pipeline.BadRequest("query", "%v", err)
	}
	if bad, ok := query.ResolveFields(filter, func(f string) (string, bool) {
		if strings.EqualFold(f, entryIDField) {
			return entryIDField, true
		}
		return et.FieldName(f)
	}); !ok {
		return nil, pipeline.BadRequest("query", "Field with name %q does not exist", bad)
	}
	return filter, nil
}
