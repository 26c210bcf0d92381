package data

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/tenantkit/tenantkit/mockserver/internal/api/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/internal/query"
	"github.com/tenantkit/tenantkit/mockserver/internal/render"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// aggregateQuery groups and aggregates the rows of a query the effective
// user may see (the engine applies row-level access as for entityQuery)
// and answers one page of groups, a dataapi.AggregateQueryResult.
func (h *handlers) aggregateQuery(rc *pipeline.Request) error {
	req, err := decodeBody[dataapi.AggregateQueryRequest](rc)
	if err != nil {
		return err
	}
	et, err := resolveType(rc, "typeName", req.TypeName)
	if err != nil {
		return err
	}
	d := rc.Route.Spec.Extra.(*dataSpec)
	where, err := d.limits.ParseWhere(req.Where, "where")
	if err != nil {
		return pipeline.QueryError("where", err)
	}
	spec := tenant.AggregateSpec{
		Type: et.Name, User: rc.Verdict.Effective, Where: where, IDField: "id",
		GroupBy: req.GroupBy, GroupPath: "groupBy", MaxGroups: d.maxGroups, Context: rc.WorkContext(),
	}
	for i, a := range req.Aggregations {
		agg := tenant.Aggregation{Func: string(a.Function), Field: a.FieldName, Path: "aggregations[" + strconv.Itoa(i) + "]"}
		if a.Alias != nil {
			agg.Alias = *a.Alias
		}
		spec.Aggregations = append(spec.Aggregations, agg)
	}
	for i, o := range req.Orders {
		spec.Orders = append(spec.Orders, query.Order{Field: o.FieldName, Descending: o.Order != nil && *o.Order == dataapi.Descending,
			Path: "orders[" + strconv.Itoa(i) + "].fieldName"})
	}
	spec.From, spec.Limit = d.page(req.Paging)
	res, err := rc.Tenant.Aggregate(spec)
	if err != nil {
		return pipeline.QueryError("where", err)
	}
	groups := make([]dataapi.AggregateGroup, len(res.Groups))
	for i, g := range res.Groups {
		m := make(map[string]any, len(g.Keys)+len(g.Values))
		for j, f := range res.Fields {
			m[f.Name()] = groupValue(g.Keys[j])
		}
		for j, alias := range res.Aliases {
			m[alias] = groupValue(g.Values[j])
		}
		groups[i] = dataapi.AggregateGroup{AdditionalProperties: m}
	}
	// A dataapi.AggregateQueryResult, its paging written as entityQuery
	// writes it (hasMore always present, as in the vendor's sample).
	b, err := json.Marshal(groups)
	if err != nil {
		return err
	}
	b = append(append([]byte(`{"entities":`), b...), `,"paging":`...)
	b = render.AppendPaging(b, dataapi.Paging{From: res.Next, Limit: spec.Limit, HasMore: res.HasMore})
	rc.WriteRaw(http.StatusOK, "application/json", append(b, '}'))
	return nil
}

// groupValue is a group's value as the API writes it: a reference as {id}
// alone (what entityQuery writes for one the caller may not read: a
// group's Name would need the referenced row's visibility, and the
// vendor's sample shows none), a date as RFC 3339 text.
func groupValue(v tenant.Value) any {
	if v.Null {
		return nil
	}
	switch v.Kind {
	case tenant.KindString:
		return v.Str
	case tenant.KindNumber:
		if math.IsInf(v.Num, 0) || math.IsNaN(v.Num) {
			return nil // a sum past the float64 range: JSON has no such number
		}
		return v.Num
	case tenant.KindBool:
		return v.Bool
	case tenant.KindDate:
		return string(tenant.AppendDate(nil, v.Time))
	case tenant.KindRef:
		return map[string]any{"id": v.Ref.String()}
	}
	return nil
}
