package relationship

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tenantkit/tenantkit/mockserver/internal/api/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/internal/query"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// The vendor's field types (/docs/schema/metadata/field_types) of the
// mock's field kinds.
const (
	fieldText      = 1
	fieldChoice    = 2
	fieldNumber    = 3
	fieldDate      = 4
	fieldReference = 5
	fieldBoolean   = 6
	fieldUser      = 7
)

// userEntryListID is the entryListId the vendor gives users.
const userEntryListID = -1

// spec is what the relationship API's handlers read of its spec
// (pipeline.APISpec.Extra), once per process.
type spec struct {
	filterOperations relationshipapi.FilterOperationList
	// filterLimits bound the rows filter (getFilterOperations'
	// x-filter-limits).
	filterLimits query.Limits
	writes       writeSpec
}

// Prepare reads what the handlers read of the relationship API's spec:
// getFilterOperations' x-filter-operations, which must list the rows
// filter's operators (query.FilterOperators) in its order, and
// x-filter-limits; and upsertRows' x-create-permissions.
func Prepare(doc *openapi3.T) (any, error) {
	item := doc.Paths.Find("/api/rest/v4/schema/filteroperations")
	if item == nil || item.Get == nil {
		return nil, fmt.Errorf("mockserver: relationship spec has no GET /api/rest/v4/schema/filteroperations")
	}
	raw, ok := item.Get.Extensions["x-filter-operations"]
	if !ok {
		return nil, fmt.Errorf("mockserver: relationship spec: getFilterOperations has no x-filter-operations")
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("mockserver: relationship spec: x-filter-operations: %w", err)
	}
	sp := &spec{}
	if err := json.Unmarshal(b, &sp.filterOperations); err != nil {
		return nil, fmt.Errorf("mockserver: relationship spec: x-filter-operations: %w", err)
	}
	var listed, parsed []string
	for _, o := range sp.filterOperations {
		listed = append(listed, o.RowsOperator)
	}
	for _, o := range query.FilterOperators() {
		parsed = append(parsed, o.Name)
	}
	if !slices.Equal(listed, parsed) {
		return nil, fmt.Errorf("mockserver: relationship spec: x-filter-operations lists %v; the rows filter has %v", listed, parsed)
	}
	ext := item.Get.Extensions["x-filter-limits"]
	if ext == nil {
		return nil, fmt.Errorf("mockserver: relationship spec: getFilterOperations has no x-filter-limits")
	}
	if b, err = json.Marshal(ext); err != nil {
		return nil, fmt.Errorf("mockserver: relationship spec: x-filter-limits: %w", err)
	}
	var lim struct{ MaxDepth, MaxConditions, MaxListItems, MaxText int }
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&lim); err != nil || lim.MaxDepth < 1 || lim.MaxConditions < 1 || lim.MaxListItems < 1 || lim.MaxText < 1 {
		return nil, fmt.Errorf("mockserver: relationship spec: x-filter-limits needs maxDepth, maxConditions, maxListItems and maxText, each at least 1 (%s)", b)
	}
	sp.filterLimits = query.Limits{MaxDepth: lim.MaxDepth, MaxConditions: lim.MaxConditions, MaxListItems: lim.MaxListItems, MaxText: lim.MaxText}
	if sp.writes, err = prepareWrites(doc); err != nil {
		return nil, err
	}
	return sp, nil
}

// readableEntryTypes are the tenant's entry types (entity types with an
// entry type id) that the effective user may read through the API (step
// 5's rule), in fixture order.
func readableEntryTypes(rc *pipeline.Request) []tenant.EntityType {
	var out []tenant.EntityType
	for _, et := range rc.Tenant.EntityTypes() {
		if et.EntryTypeID != 0 && decide.Readable(rc.Tenant, rc.Verdict.Effective, et.Name) {
			out = append(out, et)
		}
	}
	return out
}

// oneEntryType resolves the entry type a one-type request names. A type
// the effective user may not read was refused by the decision (the
// operation's x-entity-type); a type that does not exist (or has no entry
// type id) gets the same refusal from step 5's rule, so a refusal does not
// tell the two apart, unless the user may read every type: then 404.
func oneEntryType(rc *pipeline.Request) (tenant.EntityType, error) {
	name := rc.Params["entryType"]
	et, ok := rc.Tenant.EntityType(name)
	if ok && et.EntryTypeID != 0 {
		rc.SetEntityType(et.Name)
		return et, nil
	}
	if err := rc.AuthorizeRelatedType(name); err != nil {
		return tenant.EntityType{}, err
	}
	return tenant.EntityType{}, pipeline.NotFound("entry type %q was not found", name)
}

func entryTypeObject(et *tenant.EntityType) relationshipapi.EntryTypeObject {
	return relationshipapi.EntryTypeObject{
		Id: et.EntryTypeID, ApiName: et.Name, Name: et.PluralName, SingularName: et.SingularName, PluralName: et.PluralName,
		EntryListId: et.EntryTypeID,
	}
}

func getEntryTypes(rc *pipeline.Request) error {
	types := readableEntryTypes(rc)
	out := make(relationshipapi.EntryTypeList, len(types))
	for i := range types {
		out[i] = entryTypeObject(&types[i])
	}
	rc.WriteJSON(http.StatusOK, "application/json", out)
	return nil
}

func getEntryType(rc *pipeline.Request) error {
	et, err := oneEntryType(rc)
	if err != nil {
		return err
	}
	rc.WriteJSON(http.StatusOK, "application/json", entryTypeObject(&et))
	return nil
}

func getEntryTypeFields(rc *pipeline.Request) error {
	var p relationshipapi.GetEntryTypeFieldsParams
	if err := rc.BindQuery(&p); err != nil {
		return err
	}
	et, err := oneEntryType(rc)
	if err != nil {
		return err
	}
	out := relationshipapi.FieldList{}
	if p.Editable != nil && !*p.Editable {
		// Every field of the mock is editable, and the entry form holds
		// editable fields only (the vendor's wording).
		if p.EntryForm != nil && *p.EntryForm {
			return pipeline.BadRequest("entryForm", "Entry form can only have editable fields.")
		}
		rc.WriteJSON(http.StatusOK, "application/json", out)
		return nil
	}
	out = appendFields(rc, out, &et)
	rc.WriteJSON(http.StatusOK, "application/json", out)
	return nil
}

func getAllFields(rc *pipeline.Request) error {
	out := relationshipapi.FieldList{}
	types := readableEntryTypes(rc)
	for i := range types {
		out = appendFields(rc, out, &types[i])
	}
	rc.WriteJSON(http.StatusOK, "application/json", out)
	return nil
}

// appendFields appends et's fields as the schema shows them.
func appendFields(rc *pipeline.Request, out relationshipapi.FieldList, et *tenant.EntityType) relationshipapi.FieldList {
	for _, sf := range et.Schema {
		f := relationshipapi.Field{
			Id: sf.ID, ApiName: sf.Name, Name: sf.Name, EntryListId: et.EntryTypeID, EntryLists: []int64{},
			IsRequired: sf.Required, IsMultiSelect: sf.MultiSelect, IsKey: sf.Key,
			AllowDuplicates: true, IsStoreRequestSupported: true,
		}
		switch sf.Type.Kind {
		case tenant.KindString:
			f.FieldType = fieldText
			if len(sf.Choices) > 0 {
				f.FieldType = fieldChoice
				values := make([]relationshipapi.ChoiceValue, len(sf.Choices))
				for j, c := range sf.Choices {
					values[j] = relationshipapi.ChoiceValue{Id: sf.ChoiceID(j + 1), Name: c, SeqNumber: j + 1, EntryListId: et.EntryTypeID}
				}
				f.ChoiceValues = &values
			}
		case tenant.KindNumber:
			f.FieldType = fieldNumber
		case tenant.KindDate:
			f.FieldType = fieldDate
		case tenant.KindBool:
			f.FieldType = fieldBoolean
		case tenant.KindRef:
			if sf.Type.RefType == tenant.UserType {
				f.FieldType = fieldUser
				break
			}
			f.FieldType = fieldReference
			if ref, ok := rc.Tenant.EntityType(sf.Type.RefType); ok && ref.EntryTypeID != 0 {
				f.EntryLists = []int64{ref.EntryTypeID}
			}
		}
		out = append(out, f)
	}
	return out
}

func getSchemaUsers(rc *pipeline.Request) error {
	var p relationshipapi.GetSchemaUsersParams
	if err := rc.BindQuery(&p); err != nil {
		return err
	}
	activeOnly := pipeline.Deref(p.ActiveOnly)
	out := relationshipapi.SchemaUserList{}
	for _, u := range rc.Tenant.Users() {
		if activeOnly && !u.Active {
			continue
		}
		out = append(out, relationshipapi.SchemaUser{Id: u.ID, Name: u.Name, Email: u.Email, EntryListId: userEntryListID})
	}
	rc.WriteJSON(http.StatusOK, "application/json", out)
	return nil
}

func getCurrencies(rc *pipeline.Request) error {
	rc.WriteJSON(http.StatusOK, "application/json", relationshipapi.CurrencyList(rc.Tenant.Currencies()))
	return nil
}

func getFilterOperations(rc *pipeline.Request) error {
	rc.WriteJSON(http.StatusOK, "application/json", rc.Route.Spec.Extra.(*spec).filterOperations)
	return nil
}
