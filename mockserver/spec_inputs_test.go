package mockserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
	"github.com/tenantkit/tenantkit/openapi"
)

// The handlers of the credentials and relationship APIs accept exactly the
// inputs their spec accepts. For every operation, every query and path
// parameter and every property of its request body (JSON or form) that
// declares a constraint, the cases are derived from the spec document:
// minimum and maximum (the bound itself is a 2xx, one beyond it a 400),
// minLength and maxLength, each enum value (and each boolean) and a value
// outside them, a value that does not match a pattern, a required property
// left out; and an omitted parameter or property that declares a default
// answers exactly as the default sent explicitly. Each case is one change
// to a request that the spec and the demo tenant accept, sent through the
// real server over loopback HTTP (responses validated against the specs).
// A constraint kind the test derives no cases for fails it, so the test
// keeps up with the specs.
func TestHandlersAcceptWhatTheSpecAccepts(t *testing.T) {
	for _, api := range []openapi.API{openapi.Credentials, openapi.Relationship} {
		t.Run(string(api), func(t *testing.T) {
			doc, err := openapi.Load(api)
			require.NoError(t, err)
			h := newHarness(t, mockserver.WithFixture(boundaryFixture(t, doc)))
			bases := specInputBases(h)
			for _, path := range doc.Paths.InMatchingOrder() {
				item := doc.Paths.Find(path)
				for method, op := range item.Operations() {
					base, ok := bases[op.OperationID]
					require.True(t, ok, "%s %s: the test has no accepted request for it; add one to specInputBases", api, op.OperationID)
					base.method, base.template = method, path
					t.Run(op.OperationID, func(t *testing.T) {
						checkOperationInputs(t, h, base, item, op)
					})
				}
			}
		})
	}
}

// specInput is a request an operation's spec and the demo tenant accept:
// the starting point of every case.
type specInput struct {
	method, template string
	path             map[string]string // path parameter values
	headers          []string
	json             func() any // a fresh JSON body, or nil
	form             url.Values // a form body, or nil
}

// specInputBases are the accepted requests, by operationId. Only data
// (credentials, ids of the demo tenant) is written here; every value a case
// sends is read from the spec.
func specInputBases(h *harness) map[string]specInput {
	g := bearer(h.token(genesysToken, "demo-admin", "demo-admin-secret", ""))
	d := bearer(h.token(dealcloudToken, "demo-admin", "demo-admin-secret", "data user_management"))
	cred := map[string]string{"credentialId": firstCredential}
	credential := func() any {
		return map[string]any{"name": "Boundary", "type": map[string]any{"name": "basicAuth"},
			"credentialFields": map[string]any{"userName": "u", "password": "p"}}
	}
	deals := map[string]string{"entryType": "Deals"}
	newRow := func() any { return []any{map[string]any{"EntryId": -1, "Name": "Boundary"}} }
	return map[string]specInput{
		"getToken": {form: url.Values{"grant_type": {"client_credentials"}, "client_id": {"demo-admin"}, "client_secret": {"demo-admin-secret"}}},

		"listCredentials":       {headers: g},
		"listCredentialsCursor": {headers: g},
		"listCredentialTypes":   {headers: g},
		"createCredential":      {headers: g, json: credential},
		"getCredential":         {headers: g, path: cred},
		"updateCredential":      {headers: g, path: cred, json: credential},
		"deleteCredential":      {headers: g, path: map[string]string{"credentialId": "missing"}}, // a 404: see checkOperationInputs

		"getProxyAssignments":    {headers: d},
		"createProxyAssignments": {headers: d, json: func() any { return []any{map[string]any{"proxyUserId": 2001, "userIds": []any{1002}}} }},
		"getRows":                {headers: d, path: deals},
		"queryRows":              {headers: d, path: deals, json: func() any { return map[string]any{} }},
		"getEntryTypes":          {headers: d},
		"getEntryType":           {headers: d, path: deals},
		"getEntryTypeFields":     {headers: d, path: deals},
		"getAllFields":           {headers: d},
		"getSchemaUsers":         {headers: d},
		"getCurrencies":          {headers: d},
		"getFilterOperations":    {headers: d},
		"createRows":             {headers: d, path: deals, json: newRow},
		"upsertRows":             {headers: d, path: deals, json: newRow},
		"updateRows":             {headers: d, path: deals, json: func() any { return []any{map[string]any{"EntryId": 4, "Name": "Boundary"}} }},
		"deleteRows":             {headers: d, path: deals, json: func() any { return []any{9} }}, // a 404 once deleted: see checkOperationInputs
	}
}

// boundaryFixture is the demo tenant with a user for each smallest user id
// the spec allows (ProxyAssignment's ids), so that the bound names a user.
func boundaryFixture(t *testing.T, doc *openapi3.T) *tenant.Fixture {
	f := tenant.Demo()
	pa := doc.Components.Schemas["ProxyAssignment"]
	if pa == nil {
		return f
	}
	ids := map[int64]bool{}
	for _, p := range []*openapi3.SchemaRef{pa.Value.Properties["proxyUserId"], pa.Value.Properties["userIds"].Value.Items} {
		require.NotNil(t, p.Value.Min, "ProxyAssignment ids declare a minimum")
		ids[int64(*p.Value.Min)] = true
	}
	for id := range ids {
		f.Users = append(f.Users, tenant.UserFixture{ID: id, Name: fmt.Sprintf("Boundary %d", id), Email: fmt.Sprintf("boundary-%d@demo.tenantkit.dev", id)})
	}
	return f
}

// inputCase is one value for one input, and whether the spec accepts it.
type inputCase struct {
	name  string
	value any // a JSON value (numbers as float64)
	ok    bool
}

// boundaryCases derives the cases of one schema's constraints.
func boundaryCases(t *testing.T, where string, s *openapi3.Schema) []inputCase {
	var out []inputCase
	integer := s.Type.Is(openapi3.TypeInteger)
	step := 1.0
	if !integer {
		step = 0.5
	}
	if s.Min != nil {
		out = append(out, inputCase{name: "minimum", value: *s.Min, ok: true}, inputCase{name: "below minimum", value: *s.Min - step})
	}
	if s.Max != nil {
		out = append(out, inputCase{name: "maximum", value: *s.Max, ok: true}, inputCase{name: "above maximum", value: *s.Max + step})
	}
	if s.Type.Is(openapi3.TypeString) {
		if s.MinLength > 0 {
			out = append(out, inputCase{name: "minLength", value: strings.Repeat("x", int(s.MinLength)), ok: true},
				inputCase{name: "below minLength", value: strings.Repeat("x", int(s.MinLength)-1)})
		}
		if s.MaxLength != nil {
			out = append(out, inputCase{name: "maxLength", value: strings.Repeat("x", int(*s.MaxLength)), ok: true},
				inputCase{name: "above maxLength", value: strings.Repeat("x", int(*s.MaxLength)+1)})
		}
		if s.Pattern != "" {
			out = append(out, inputCase{name: "not matching the pattern", value: notMatching(t, where, s.Pattern)})
		}
	}
	enum := s.Enum
	if s.Type.Is(openapi3.TypeBoolean) && len(enum) == 0 {
		enum = []any{true, false}
	}
	for _, v := range enum {
		out = append(out, inputCase{name: fmt.Sprintf("enum value %v", v), value: v, ok: true})
	}
	if len(enum) > 0 {
		out = append(out, inputCase{name: "undeclared value", value: "zz-undeclared"})
	}
	if s.ExclusiveMin.IsSet() || s.ExclusiveMax.IsSet() || s.MultipleOf != nil || s.MinItems > 0 || s.MaxItems != nil ||
		s.MinProps > 0 || s.MaxProps != nil || s.UniqueItems || s.Not != nil || len(s.OneOf)+len(s.AnyOf)+len(s.AllOf) > 0 {
		t.Errorf("%s declares a constraint this test derives no cases for; add them", where)
	}
	return out
}

// notMatching returns a value the pattern refuses.
func notMatching(t *testing.T, where, pattern string) string {
	// kin-openapi's reading of ECMA-262 \uXXXX escapes, in Go syntax.
	re := regexp.MustCompile(regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`).ReplaceAllString(pattern, `\x{$1}`))
	for _, v := range []string{"-", " ", "\u00a0", "~", "é", "a b", ""} {
		if !re.MatchString(v) {
			return v
		}
	}
	t.Fatalf("%s: no candidate value fails the pattern %q", where, pattern)
	return ""
}

// checkOperationInputs runs every case of one operation's inputs.
func checkOperationInputs(t *testing.T, h *harness, base specInput, item *openapi3.PathItem, op *openapi3.Operation) {
	accepted := func(status int) bool { return status/100 == 2 }
	if op.OperationID == "deleteCredential" || op.OperationID == "deleteRows" {
		// Each accepted delete would need a credential (row) of its own; the
		// spec's only constraint (credentialId's minLength 1) cannot be
		// broken in a path, so a 404 counts as accepted here.
		accepted = func(status int) bool { return status/100 == 2 || status == http.StatusNotFound }
	}
	r := send(t, h, base, nil)
	require.True(t, accepted(r.status), "the accepted request: %d %s", r.status, r.body)

	params := slices.Concat(op.Parameters, item.Parameters)
	for _, ref := range params {
		p := ref.Value
		if p.In != openapi3.ParameterInQuery && p.In != openapi3.ParameterInPath {
			continue // AS-USER is the pipeline's (pipeline tests); no other header declares a constraint
		}
		where := fmt.Sprintf("%s %s parameter %s", op.OperationID, p.In, p.Name)
		ok := accepted
		if p.In == openapi3.ParameterInPath {
			// A path names a resource, and a case's value names none: the
			// spec accepted it if the answer is the resource's 404.
			ok = func(status int) bool { return accepted(status) || status == http.StatusNotFound }
		}
		for _, c := range boundaryCases(t, where, p.Schema.Value) {
			if p.In == openapi3.ParameterInPath && c.value == "" {
				continue // an empty path segment matches no operation
			}
			r := send(t, h, base, func(in *request) { in.setParam(p, c.value) })
			checkCase(t, where, c, ok, r)
		}
		if d := p.Schema.Value.Default; d != nil {
			omitted := send(t, h, base, nil)
			explicit := send(t, h, base, func(in *request) { in.setParam(p, d) })
			sameAnswer(t, fmt.Sprintf("%s omitted and sent as its default %v", where, d), omitted, explicit)
		}
	}

	if op.RequestBody == nil {
		return
	}
	for ct, mt := range op.RequestBody.Value.Content {
		walkBody(t, op.OperationID+" "+ct+" body", mt.Schema.Value, nil, func(where string, ptr []any, s *openapi3.Schema, required []string) {
			for _, c := range boundaryCases(t, where, s) {
				r := send(t, h, base, func(in *request) { in.setBody(ptr, c.value) })
				checkCase(t, where, c, accepted, r)
			}
			if len(ptr) > 0 && slices.Contains(required, fmt.Sprint(ptr[len(ptr)-1])) {
				r := send(t, h, base, func(in *request) { in.deleteBody(ptr) })
				checkCase(t, where, inputCase{name: "required, left out"}, accepted, r)
			}
			if d := s.Default; d != nil {
				omitted := send(t, h, base, func(in *request) { in.deleteBody(ptr) })
				explicit := send(t, h, base, func(in *request) { in.setBody(ptr, d) })
				sameAnswer(t, fmt.Sprintf("%s omitted and sent as its default %v", where, d), omitted, explicit)
			}
		})
	}
}

// walkBody calls visit for every property (and array item) of a request
// body schema, with its path in the body and the required properties of
// the object holding it. readOnly properties are left alone (a request
// may not send them at all).
func walkBody(t *testing.T, where string, s *openapi3.Schema, ptr []any, visit func(string, []any, *openapi3.Schema, []string)) {
	walkBodyIn(t, where, s, ptr, nil, map[*openapi3.Schema]int{}, visit)
}

func walkBodyIn(t *testing.T, where string, s *openapi3.Schema, ptr []any, required []string, seen map[*openapi3.Schema]int,
	visit func(string, []any, *openapi3.Schema, []string)) {
	if s == nil || s.ReadOnly || seen[s] > 1 {
		return
	}
	seen[s]++
	defer func() { seen[s]-- }()
	if len(ptr) > 0 {
		visit(where, ptr, s, required)
	}
	switch {
	case s.Type.Is(openapi3.TypeArray) && s.Items != nil:
		walkBodyIn(t, where+"[0]", s.Items.Value, append(slices.Clone(ptr), 0), nil, seen, visit)
	case len(s.Properties) > 0:
		for _, name := range sortedKeys(s.Properties) {
			walkBodyIn(t, where+"."+name, s.Properties[name].Value, append(slices.Clone(ptr), name), s.Required, seen, visit)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// request is one case's request, built from the base.
type request struct {
	path  map[string]string
	query url.Values
	json  any
	form  url.Values
	skip  bool // the case does not apply to this request (its body has no such place)
}

func (in *request) setParam(p *openapi3.Parameter, v any) {
	s := scalar(v)
	if p.In == openapi3.ParameterInPath {
		in.path[p.Name] = s
		return
	}
	in.query.Set(p.Name, s)
}

// setBody sets the value at ptr; a form body takes it as text.
func (in *request) setBody(ptr []any, v any) {
	if in.form != nil {
		in.form.Set(fmt.Sprint(ptr[0]), scalar(v))
		return
	}
	parent, last, ok := bodyParent(in.json, ptr)
	if !ok {
		in.skip = true
		return
	}
	switch p := parent.(type) {
	case map[string]any:
		p[last.(string)] = v
	case []any:
		p[last.(int)] = v
	}
}

func (in *request) deleteBody(ptr []any) {
	if in.form != nil {
		in.form.Del(fmt.Sprint(ptr[0]))
		return
	}
	parent, last, ok := bodyParent(in.json, ptr)
	if m, isMap := parent.(map[string]any); ok && isMap {
		delete(m, last.(string))
		return
	}
	in.skip = true
}

// bodyParent finds the object or array holding ptr's last step.
func bodyParent(v any, ptr []any) (any, any, bool) {
	for _, step := range ptr[:len(ptr)-1] {
		switch x := v.(type) {
		case map[string]any:
			if v = x[step.(string)]; v == nil {
				return nil, nil, false
			}
		case []any:
			if i := step.(int); i < len(x) {
				v = x[i]
			} else {
				return nil, nil, false
			}
		default:
			return nil, nil, false
		}
	}
	last := ptr[len(ptr)-1]
	switch x := v.(type) {
	case map[string]any:
		_, isKey := last.(string)
		return x, last, isKey
	case []any:
		i, isIndex := last.(int)
		return x, last, isIndex && i < len(x)
	}
	return nil, nil, false
}

// scalar writes a value as a parameter or form field carries it.
func scalar(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// send sends the base request changed by change (nil: as it is).
func send(t *testing.T, h *harness, base specInput, change func(*request)) *response {
	t.Helper()
	in := &request{path: map[string]string{}, query: url.Values{}}
	for k, v := range base.path {
		in.path[k] = v
	}
	if base.json != nil {
		in.json = base.json()
	}
	if base.form != nil {
		in.form = url.Values{}
		for k, v := range base.form {
			in.form[k] = slices.Clone(v)
		}
	}
	if change != nil {
		change(in)
	}
	if in.skip {
		t.Fatalf("%s %s: the accepted request's body has no place for the case; extend its body in specInputBases", base.method, base.template)
	}
	path := base.template
	for k, v := range in.path {
		path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
	}
	if len(in.query) > 0 {
		path += "?" + in.query.Encode()
	}
	var body any
	switch {
	case in.form != nil:
		body = in.form
	case in.json != nil:
		b, err := json.Marshal(in.json)
		require.NoError(t, err)
		body = string(b)
	}
	return h.do(base.method, path, body, base.headers...)
}

func checkCase(t *testing.T, where string, c inputCase, accepted func(int) bool, r *response) {
	t.Helper()
	switch {
	case c.ok && !accepted(r.status):
		t.Errorf("%s, %s (%v): the spec accepts it, the mock answered %d %s", where, c.name, c.value, r.status, r.body)
	case !c.ok && r.status != http.StatusBadRequest:
		t.Errorf("%s, %s (%v): the spec refuses it, the mock answered %d %s", where, c.name, c.value, r.status, r.body)
	}
}

// sameAnswer: an omitted input and its default get one answer. selfUri
// repeats the request's own query, so it is left out of the comparison.
func sameAnswer(t *testing.T, what string, a, b *response) {
	t.Helper()
	norm := func(r *response) any {
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			return string(r.body)
		}
		if m, ok := v.(map[string]any); ok {
			delete(m, "selfUri")
		}
		return v
	}
	if assert.Equal(t, a.status, b.status, "%s: status", what) {
		assert.Equal(t, norm(a), norm(b), "%s: body", what)
	}
	assert.True(t, a.status/100 == 2, "%s: %d %s", what, a.status, a.body)
}
