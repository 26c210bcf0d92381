package mockserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

const (
	listEntitiesPath     = "/V2.0/services/metadata/listEntities"
	describeEntitiesPath = "/V2.0/services/metadata/describeEntities"
	describeMetadataPath = "/V2.0/services/metadata/describeMetadata"
	countQueryPath       = "/V2.0/services/data/countQuery"
	retrieveMultiplePath = "/V2.0/services/data/retrieveMultiple"
)

func session(id string) []string { return []string{"Authorization", "Session " + id} }

type descriptions struct {
	EntityDescriptions []struct {
		TypeName string `json:"typeName"`
		Fields   []struct {
			Name               string   `json:"name"`
			Type               string   `json:"type"`
			Nullable           bool     `json:"nullable"`
			System             bool     `json:"system"`
			Updateable         bool     `json:"updateable"`
			ReferencedEntities []string `json:"referencedEntities"`
		} `json:"fields"`
	} `json:"entityDescriptions"`
}

func setSettings(t *testing.T, h *harness, change func(*tenant.Settings)) {
	t.Helper()
	_, err := h.srv.DefaultTenant().UpdateSettings(change)
	require.NoError(t, err)
}

// TestListEntitiesListsReadableTypes: listEntities names the entity types the
// effective user's roles let it read through the API, in the tenant's order;
// under enforcement: audit every type, with the denial recorded.
func TestListEntitiesListsReadableTypes(t *testing.T) {
	h := newHarness(t)
	names := func(auth []string) ([]string, wire.Decision) {
		r := h.do(http.MethodGet, listEntitiesPath, nil, auth...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var out struct {
			TypeNames []string `json:"typeNames"`
		}
		r.json(t, &out)
		return out.TypeNames, r.decision
	}
	got, d := names(apiKey("demo-key-bob"))
	assert.Equal(t, []string{"Project", "Deals", "Companies", "Contacts"}, got)
	assert.Equal(t, wire.OutcomeAllow, d.Outcome)
	assert.NotContains(t, fmt.Sprint(d), "Task", "the decision header names no hidden type")
	got, _ = names(session(loginSession(t, h, "alice@demo.tenantkit.dev")))
	assert.Equal(t, []string{"Project", "Task", "Deals", "Companies", "Contacts"}, got)

	setSettings(t, h, func(s *tenant.Settings) { s.Enforcement = tenant.EnforcementAudit })
	got, d = names(apiKey("demo-key-bob"))
	assert.Equal(t, []string{"Project", "Task", "Deals", "Companies", "Contacts"}, got)
	assert.Equal(t, wire.OutcomeAuditDeny, d.Outcome)
	assert.Equal(t, wire.StepObject, d.Step)
}

// TestDescribeEntitiesFields: each field's name, vendor type, nullability,
// system flag and reference target, from the tenant's model.
func TestDescribeEntitiesFields(t *testing.T) {
	h := newHarness(t)
	r := h.do(http.MethodGet, describeEntitiesPath+"?typeNames=task,Project,Task", nil, session(loginSession(t, h, "alice@demo.tenantkit.dev"))...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var d descriptions
	r.json(t, &d)
	require.Len(t, d.EntityDescriptions, 2, "each type once, in the order first asked")
	task := d.EntityDescriptions[0]
	assert.Equal(t, "Task", task.TypeName)
	assert.Equal(t, "Project", d.EntityDescriptions[1].TypeName)
	byName := map[string]int{}
	for i, f := range task.Fields {
		byName[f.Name] = i
		system := f.Name == "CreatedOn" || f.Name == "LastUpdatedOn"
		assert.Equal(t, !system, f.Updateable, f.Name)
	}
	require.Len(t, task.Fields, 10, "the 7 fixture fields, Owner, CreatedOn and LastUpdatedOn")
	project := task.Fields[byName["Project"]]
	assert.Equal(t, "Entity", project.Type)
	assert.Equal(t, []string{"Project"}, project.ReferencedEntities)
	assert.True(t, project.Nullable)
	assert.False(t, project.System)
	assert.Equal(t, []string{"User"}, task.Fields[byName["Assignee"]].ReferencedEntities)
	owner := task.Fields[byName["Owner"]]
	assert.True(t, owner.System)
	assert.False(t, owner.Nullable)
	assert.Equal(t, []string{"User"}, owner.ReferencedEntities)
	for name, typ := range map[string]string{"Name": "String", "DueDate": "Date", "EstimatedHours": "Double", "Completed": "Boolean"} {
		assert.Equal(t, typ, task.Fields[byName[name]].Type, name)
		assert.Empty(t, task.Fields[byName[name]].ReferencedEntities, name)
	}
}

// TestDescribeHiddenTypeReadsAsUnknown: a type the user may not read through
// the API is answered exactly like a type that does not exist (status,
// errorCode, message pattern and decision header), by describeEntities and
// describeMetadata; under enforcement: audit it is described.
func TestDescribeHiddenTypeReadsAsUnknown(t *testing.T) {
	h := newHarness(t)
	bob := apiKey("demo-key-bob")
	for _, path := range []string{describeEntitiesPath, describeMetadataPath} {
		hidden := h.do(http.MethodGet, path+"?typeNames=Project,Task", nil, bob...)
		missing := h.do(http.MethodGet, path+"?typeNames=Project,Tusk", nil, bob...)
		require.Equal(t, http.StatusBadRequest, hidden.status, "%s", hidden.body)
		require.Equal(t, http.StatusBadRequest, missing.status, "%s", missing.body)
		hm, mm := hidden.object(t), missing.object(t)
		assert.Equal(t, "InvalidArgument", hm["errorCode"])
		assert.Equal(t, mm["errorCode"], hm["errorCode"])
		assert.Equal(t, `typeNames: unknown entity type "Task"`, hm["message"])
		assert.Equal(t, strings.ReplaceAll(mm["message"].(string), "Tusk", "Task"), hm["message"])
		hd, md := hidden.decision, missing.decision
		md.Reason = strings.ReplaceAll(md.Reason, "Tusk", "Task")
		assert.Equal(t, md, hd, "the decision header tells nothing more")
	}

	setSettings(t, h, func(s *tenant.Settings) { s.Enforcement = tenant.EnforcementAudit })
	r := h.do(http.MethodGet, describeEntitiesPath+"?typeNames=Task", nil, bob...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, wire.OutcomeAuditDeny, r.decision.Outcome)
}

// TestDescribeMetadata: without typeNames every readable type, fields only
// with the fields flag.
func TestDescribeMetadata(t *testing.T) {
	h := newHarness(t)
	bob := apiKey("demo-key-bob")
	var d descriptions
	r := h.do(http.MethodGet, describeMetadataPath, nil, bob...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r.json(t, &d)
	require.Len(t, d.EntityDescriptions, 4, "every readable type")
	assert.Equal(t, "Project", d.EntityDescriptions[0].TypeName)
	assert.Equal(t, "Deals", d.EntityDescriptions[1].TypeName)
	assert.Empty(t, d.EntityDescriptions[0].Fields, "no fields without the fields flag")

	r = h.do(http.MethodGet, describeMetadataPath+"?typeNames=Deals&flags=fields,relations", nil, bob...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	d = descriptions{}
	r.json(t, &d)
	require.Len(t, d.EntityDescriptions, 1)
	assert.Len(t, d.EntityDescriptions[0].Fields, 11, "the 8 fixture fields, Owner, CreatedOn and LastUpdatedOn")
}

// TestMetadataBadParameters: malformed, empty or too many typeNames and an
// unknown flag are a 400 naming the parameter, never a 500.
func TestMetadataBadParameters(t *testing.T) {
	h := newHarness(t)
	svc := apiKey("demo-key-service")
	many := strings.TrimSuffix(strings.Repeat("Project,", 65), ",")
	for _, q := range []string{describeEntitiesPath, describeEntitiesPath + "?typeNames=", describeEntitiesPath + "?typeNames=1x",
		describeEntitiesPath + "?typeNames=" + many, describeEntitiesPath + "?typeNames=Pro%20ject",
		describeMetadataPath + "?flags=everything", describeMetadataPath + "?typeNames=a/b"} {
		r := h.do(http.MethodGet, q, nil, svc...)
		assert.Equal(t, http.StatusBadRequest, r.status, "%s: %s", q, r.body)
		assert.Equal(t, "InvalidArgument", r.object(t)["errorCode"], q)
	}
	r := h.do(http.MethodGet, listEntitiesPath, nil)
	assert.Equal(t, http.StatusUnauthorized, r.status)
}

// TestCountQueryAgreesWithEntityQuery: for several users and conditions,
// under apiDataAccess enforce and bypass, countQuery counts exactly the
// entities entityQuery returns the same user over all its pages.
func TestCountQueryAgreesWithEntityQuery(t *testing.T) {
	h := newHarness(t)
	users := map[string][]string{
		"key bob":       apiKey("demo-key-bob"),
		"key service":   apiKey("demo-key-service"),
		"session alice": session(loginSession(t, h, "alice@demo.tenantkit.dev")),
		"session carol": session(loginSession(t, h, "carol@demo.tenantkit.dev")),
	}
	cmp := func(field, op string, v any) map[string]any {
		return map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": field}, "operator": op, "rightExpression": map[string]any{"value": v}}
	}
	conditions := map[string]any{
		"none":     nil,
		"active":   cmp("State", "Equal", "Active"),
		"budget":   cmp("Budget", "GreaterThan", 50000),
		"or":       map[string]any{"_type": "or", "or": []any{cmp("State", "Equal", "Draft"), cmp("Billable", "Equal", true)}},
		"not":      map[string]any{"_type": "not", "not": cmp("Name", "BeginsWith", "Executive")},
		"czql":     map[string]any{"_type": "cZQLCondition", "text": "PercentComplete < 50"},
		"no match": cmp("Name", "Equal", "nothing is called this"),
	}
	for _, access := range []tenant.APIDataAccess{tenant.DataAccessEnforce, tenant.DataAccessBypass} {
		setSettings(t, h, func(s *tenant.Settings) { s.APIDataAccess = access })
		for user, auth := range users {
			for name, where := range conditions {
				q := map[string]any{"typeName": "Project"}
				if where != nil {
					q["where"] = where
				}
				var seen int
				paged := map[string]any{"typeName": "Project", "paging": map[string]any{"limit": 3}}
				if where != nil {
					paged["where"] = where
				}
				for {
					p := h.query(t, paged, auth...)
					seen += len(p.Entities)
					if !p.Paging.HasMore {
						break
					}
					paged["paging"] = map[string]any{"from": p.Paging.From, "limit": p.Paging.Limit}
				}
				r := h.do(http.MethodPost, countQueryPath, map[string]any{"query": q}, auth...)
				require.Equal(t, http.StatusOK, r.status, "%s", r.body)
				var c struct {
					Count int `json:"count"`
				}
				r.json(t, &c)
				assert.Equal(t, seen, c.Count, "%s, %s, %s", access, user, name)
			}
		}
	}
	setSettings(t, h, func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessEnforce })
	// The vendor SDK's shape: PascalCase keys and _type.
	r := h.do(http.MethodPost, countQueryPath, `{"Query":{"_type":"entityQuery","TypeName":"Project"}}`, apiKey("demo-key-bob")...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, map[string]any{"count": float64(4)}, r.object(t))
	assert.Equal(t, "Project", r.decision.EntityType)
}

// TestCountQueryRefusesLikeEntityQuery: the object step and bad input are
// answered as entityQuery answers them.
func TestCountQueryRefusesLikeEntityQuery(t *testing.T) {
	h := newHarness(t)
	bob := apiKey("demo-key-bob")
	count := h.do(http.MethodPost, countQueryPath, map[string]any{"query": map[string]any{"typeName": "Task"}}, bob...)
	query := h.do(http.MethodPost, entityQuery, map[string]any{"typeName": "Task"}, bob...)
	assert.Equal(t, http.StatusForbidden, count.status)
	assert.Equal(t, query.status, count.status)
	assert.Equal(t, query.object(t)["errorCode"], count.object(t)["errorCode"])
	assert.Equal(t, wire.StepObject, count.decision.Step)
	for name, tc := range map[string]struct {
		body  any
		field string
	}{
		"no query":      {map[string]any{}, "query"},
		"unknown type":  {map[string]any{"query": map[string]any{"typeName": "Nope"}}, "query.typeName"},
		"other _type":   {map[string]any{"query": map[string]any{"_type": "aggregateQuery", "typeName": "Project"}}, "query._type"},
		"unknown field": {map[string]any{"query": map[string]any{"typeName": "Project", "where": map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": "Colour"}, "operator": "Equal", "rightExpression": map[string]any{"value": 1}}}}, "query.where"},
	} {
		r := h.do(http.MethodPost, countQueryPath, tc.body, bob...)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", name, r.body)
		assert.True(t, strings.HasPrefix(r.object(t)["message"].(string), tc.field), "%s: %s", name, r.body)
	}
}

type multiple struct {
	Results []map[string]any `json:"results"`
}

// TestRetrieveMultipleHonoursSharing: only ids the effective user may read
// come back, in the order asked, each once; a hidden row, a missing row and
// rows of a type the user may not read or that does not exist are absent
// alike, with the same answer and decision header.
func TestRetrieveMultipleHonoursSharing(t *testing.T) {
	h := newHarness(t)
	bob := apiKey("demo-key-bob")
	retrieve := func(ids []string, fields []string) (*response, []string) {
		body := map[string]any{"ids": ids}
		if fields != nil {
			body["fields"] = fields
		}
		r := h.do(http.MethodPost, retrieveMultiplePath, body, bob...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var m multiple
		r.json(t, &m)
		got := make([]string, len(m.Results))
		for i, e := range m.Results {
			got[i], _ = e["id"].(string)
		}
		return r, got
	}
	_, got := retrieve([]string{"/Project/3", "/Project/9", "/Project/999", "/Task/1", "/Nope/1", "/Project/abc", "/Project/1", "/project/3", "/Deals/1"}, []string{"Name"})
	assert.Equal(t, []string{"/Project/3", "/Project/1"}, got, "Deals has no row 1; Task is not readable by bob")

	hidden, _ := retrieve([]string{"/Project/9"}, nil)
	missing, _ := retrieve([]string{"/Project/999"}, nil)
	hiddenType, _ := retrieve([]string{"/Task/1"}, nil)
	unknownType, _ := retrieve([]string{"/Tusk/1"}, nil)
	assert.JSONEq(t, `{"results":[]}`, string(hidden.body))
	assert.Equal(t, missing.body, hidden.body)
	assert.Equal(t, missing.body, hiddenType.body)
	assert.Equal(t, missing.decision, hidden.decision)
	assert.Equal(t, unknownType.body, hiddenType.body)
	assert.Equal(t, unknownType.decision, hiddenType.decision)
	assert.Empty(t, hiddenType.decision.EntityType)

	r, _ := retrieve([]string{"/Project/1"}, []string{"Name", "Budget"})
	var m multiple
	r.json(t, &m)
	assert.Equal(t, map[string]any{"id": "/Project/1", "Name": "Q3 Pipeline Review", "Budget": float64(45000)}, m.Results[0])

	setSettings(t, h, func(s *tenant.Settings) { s.APIDataAccess = tenant.DataAccessBypass })
	_, got = retrieve([]string{"/Project/9", "/Task/1"}, nil)
	assert.Equal(t, []string{"/Project/9"}, got, "bypass opens rows, not types")
}

// TestRetrieveMultipleBounds: too many ids, malformed ids and a field a
// readable type lacks are 400s checked before any row is read; a field only
// an unreadable type would lack is not looked at.
func TestRetrieveMultipleBounds(t *testing.T) {
	h := newHarness(t)
	bob := apiKey("demo-key-bob")
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("/Project/%d", i+1)
	}
	for name, tc := range map[string]struct {
		body  any
		field string
	}{
		"too many ids": {map[string]any{"ids": many}, "ids"},
		"no ids":       {map[string]any{"ids": []string{}}, "ids"},
		"missing ids":  {map[string]any{"fields": []string{"Name"}}, "ids"},
		"malformed id": {map[string]any{"ids": []string{"Project/1"}}, "ids"},
		"bad field":    {map[string]any{"ids": []string{"/Project/1"}, "fields": []string{"Colour"}}, "fields"},
	} {
		r := h.do(http.MethodPost, retrieveMultiplePath, tc.body, bob...)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", name, r.body)
		m := r.object(t)
		assert.Equal(t, "InvalidArgument", m["errorCode"], name)
		assert.True(t, strings.HasPrefix(m["message"].(string), tc.field), "%s: %s", name, r.body)
	}
	r := h.do(http.MethodPost, retrieveMultiplePath, map[string]any{"ids": []string{"/Task/1"}, "fields": []string{"EstimatedHours"}}, bob...)
	assert.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

// TestDescribeReferenceToHiddenType: a reference field names its target type
// only to a user who may read that type through the API.
func TestDescribeReferenceToHiddenType(t *testing.T) {
	f := tenant.Demo()
	for i := range f.EntityTypes {
		if f.EntityTypes[i].Name == "Project" {
			f.EntityTypes[i].Fields["MainTask"] = "ref:Task"
		}
	}
	h := newHarness(t, mockserver.WithFixture(f))
	refs := func(auth []string) []string {
		r := h.do(http.MethodGet, describeEntitiesPath+"?typeNames=Project", nil, auth...)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var d descriptions
		r.json(t, &d)
		for _, fd := range d.EntityDescriptions[0].Fields {
			if fd.Name == "MainTask" {
				assert.Equal(t, "Entity", fd.Type)
				return fd.ReferencedEntities
			}
		}
		t.Fatal("no field MainTask")
		return nil
	}
	assert.Empty(t, refs(apiKey("demo-key-bob")))
	assert.Equal(t, []string{"Task"}, refs(session(loginSession(t, h, "alice@demo.tenantkit.dev"))))
}
