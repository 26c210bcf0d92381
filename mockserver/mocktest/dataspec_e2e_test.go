package mocktest_test

// The data API's accepted inputs are the spec's: every bound, enum, default,
// pattern, nesting limit, discriminator value and required member the spec
// states for a request of entityQuery (POST and GET), query, aggregateQuery
// and getObject
// is read from the spec document (loaded with kin-openapi), and its
// boundary cases go through the real server over loopback: the minimum and
// one below, the maximum and one above, each enum value and one outside,
// each where _type and an undeclared one, omitted and the default. In
// bounds is a 2xx, out of bounds a 400, exactly as the spec says. A
// constraint the spec gains without a site here fails the test, as does a
// site whose constraint the spec lost. (The writes, createObject,
// updateObject and deleteObject, state no bound but their path's typeName
// pattern, which getObject shares.)

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tenantkit/tenantkit/mockserver/mocktest"
	"github.com/tenantkit/tenantkit/openapi"
)

// facet is what the spec constrains at one place of a request: a body
// property (paging.limit, where<compare>.operator, parameters.*), a query
// parameter (?limit) or a path parameter ({typeName}).
type facet struct {
	required           bool
	minimum, maximum   *float64
	minLength          uint64
	maxLength, maxItem *uint64
	enum               []any
	def                any
	pattern            string
	maxDepth           int
	mapping            []string // discriminator values
}

func (f *facet) constrained() bool {
	return f.required || f.minimum != nil || f.maximum != nil || f.minLength > 0 || f.maxLength != nil ||
		f.maxItem != nil || len(f.enum) > 0 || f.def != nil || f.pattern != "" || f.maxDepth > 0 || len(f.mapping) > 0
}

// specFacets walks an operation's parameters and JSON body schema and
// returns the facets that hold a constraint, by place.
func specFacets(item *openapi3.PathItem, op *openapi3.Operation) map[string]*facet {
	out := map[string]*facet{}
	at := func(place string) *facet {
		if out[place] == nil {
			out[place] = &facet{}
		}
		return out[place]
	}
	// The schema is walked breadth first, so that a recursive schema (the
	// where condition, x-max-depth) is walked once, at its shallowest place
	// (where, not relations[].where).
	once := map[*openapi3.Schema]bool{}
	type visit struct {
		s     *openapi3.Schema
		place string
		stack []*openapi3.Schema
	}
	var queue []visit
	walk := func(s *openapi3.Schema, place string, stack []*openapi3.Schema) {
		queue = append(queue, visit{s, place, stack})
	}
	visitOne := func(s *openapi3.Schema, place string, stack []*openapi3.Schema) {
		if s == nil || slices.Contains(stack, s) {
			return
		}
		if _, recursive := s.Extensions["x-max-depth"]; recursive {
			if once[s] {
				return
			}
			once[s] = true
		}
		// Clipped: each child gets its own path (siblings appending to one
		// backing array would overwrite each other's last entry).
		stack = append(slices.Clip(stack), s)
		f := at(place)
		if s.Min != nil {
			f.minimum = s.Min
		}
		if s.Max != nil {
			f.maximum = s.Max
		}
		f.minLength = max(f.minLength, s.MinLength)
		if s.MaxLength != nil {
			f.maxLength = s.MaxLength
		}
		if s.MaxItems != nil {
			f.maxItem = s.MaxItems
		}
		if len(s.Enum) > 0 {
			f.enum = s.Enum
		}
		if s.Default != nil {
			f.def = s.Default
		}
		if s.Pattern != "" {
			f.pattern = s.Pattern
		}
		if d, ok := s.Extensions["x-max-depth"].(float64); ok {
			f.maxDepth = int(d)
		}
		if s.Discriminator != nil {
			f.mapping = slices.Sorted(maps.Keys(s.Discriminator.Mapping))
			for _, key := range f.mapping {
				ref := &openapi3.SchemaRef{Ref: s.Discriminator.Mapping[key].Ref}
				for _, b := range s.OneOf {
					if b.Ref == ref.Ref {
						walk(b.Value, place+"<"+key+">", stack)
					}
				}
			}
			return
		}
		// allOf members and anyOf branches constrain the same place; a
		// branch's required members are not required of the place (another
		// branch may hold), but anyOf of required-only branches says one of
		// them is, which the place's site checks by omitting them all.
		required := slices.Clone(s.Required)
		for _, m := range s.AllOf {
			required = append(required, m.Value.Required...)
			walk(m.Value, place, stack)
		}
		for _, m := range s.AnyOf {
			if len(m.Value.Properties) == 0 && len(m.Value.Required) > 0 && m.Value.Type == nil {
				f.required = true // {anyOf: [{required: [a]}, {required: [b]}]}: one of them
				continue
			}
			walk(m.Value, place, stack)
		}
		sep := "."
		if place == "" {
			sep = ""
		}
		for _, name := range required {
			at(place + sep + name).required = true // required by s or an allOf member, declared by either
		}
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			walk(s.Properties[name].Value, place+sep+name, stack)
			if slices.Contains(required, name) {
				at(place + sep + name).required = true
			}
		}
		if s.Items != nil {
			walk(s.Items.Value, place+"[]", stack)
		}
		if ap := s.AdditionalProperties.Schema; ap != nil {
			walk(ap.Value, place+".*", stack)
		}
	}
	drain := func() {
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			visitOne(v.s, v.place, v.stack)
		}
	}
	for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
		place := "?" + p.Value.Name
		if p.Value.In == openapi3.ParameterInPath {
			place = "{" + p.Value.Name + "}"
		}
		walk(p.Value.Schema.Value, place, nil)
		if p.Value.Required {
			at(place).required = true
		}
	}
	if rb := op.RequestBody; rb != nil {
		walk(rb.Value.Content.Get("application/json").Schema.Value, "", nil)
	}
	drain()
	for place, f := range out {
		if !f.constrained() {
			delete(out, place)
		}
	}
	return out
}

// A site says how to put a value at one place of a request that is
// otherwise valid, so that whether it is accepted depends on that value
// alone.
type site struct {
	base string // a valid request: a JSON body, or for GET a query string
	at   string // where in base the value goes: a dotted path (orders.0.order), a parameter name
	// example is a valid value of the place (default: the one in base).
	example any
	// text returns a valid string of n characters, when the place can hold
	// one of any length (nil: only the example is sent in bounds).
	text func(n int) string
	// list returns a valid list of n items.
	list func(n int) any
	// nest returns a valid value nested levels deep.
	nest func(levels int) any
	// tags holds a valid value for each discriminator value.
	tags map[string]any
	// set puts v in body, when that needs more than replacing the value at
	// `at` (the In operator takes a list on the right).
	set func(body map[string]any, v any)
	// bad is a value outside the place's pattern.
	bad string
	// none is what to send for "omitted" when the place is an anyOf of
	// required members (the members removed).
	none any
	// alone: the place is one of an anyOf of required members, so it is
	// not omitted on its own (the place holding them omits them all).
	alone bool
}

const (
	cmpBody  = `{"typeName":"Project","where":{"_type":"compare","leftExpression":{"fieldName":"Name"},"operator":"Equal","rightExpression":{"value":"x"}}}`
	inBody   = `{"typeName":"Project","where":{"_type":"compare","leftExpression":{"fieldName":"Name"},"operator":"In","rightExpression":{"value":["x"]}}}`
	czqlBody = `{"typeName":"Project","where":{"_type":"cZQLCondition","text":"Name = :p","parameters":{"p":"x"}}}`
	czqlIn   = `{"typeName":"Project","where":{"_type":"cZQLCondition","text":"Name IN (:p)","parameters":{"p":["x"]}}}`
	// inValues is In with the vendor's constant list expression.
	inValues = `{"typeName":"Project","where":{"_type":"compare","leftExpression":{"fieldName":"Name"},"operator":"In","rightExpression":{"values":["x"]}}}`
)

// textList returns a list of n texts.
func textList(n int) any {
	l := make([]any, n)
	for i := range l {
		l[i] = "x"
	}
	return l
}

// inWhenList puts v at path, making the condition In when v is a list
// (only In takes one).
func inWhenList(path string) func(map[string]any, any) {
	return func(b map[string]any, v any) {
		if _, ok := v.([]any); ok {
			put(b, "where.operator", "In")
		}
		put(b, path, v)
	}
}

// czqlInWhenList puts v at path, writing the CZQL text at textPath with IN
// when v is a list.
func czqlInWhenList(path, textPath, in string) func(map[string]any, any) {
	return func(b map[string]any, v any) {
		if _, ok := v.([]any); ok {
			put(b, textPath, in)
		}
		put(b, path, v)
	}
}

// rightTyped is a valid right expression for each _type value.
func rightTyped(b map[string]any, v any) {
	switch v {
	case "fieldExpression":
		put(b, "where.rightExpression", map[string]any{"_type": v, "fieldName": "Name"})
	case "constantListExpression":
		put(b, "where.operator", "In")
		put(b, "where.rightExpression", map[string]any{"_type": v, "values": []any{"x"}})
	default:
		put(b, "where.rightExpression._type", v)
	}
}

func compareOf(op string, right any) map[string]any {
	return map[string]any{"_type": "compare", "leftExpression": map[string]any{"fieldName": "Name"}, "operator": op, "rightExpression": right}
}

func repeat(n int) string { return strings.Repeat("a", n) }

func orderList(n int) any {
	l := make([]any, n)
	for i := range l {
		l[i] = map[string]any{"fieldName": "Name"} // a repeated field is ignored
	}
	return l
}

// relationList is n relations: the demo's Companies have one, Contacts,
// and a relation asked for again is ignored, so the list repeats it.
func relationList(n int) any {
	l := make([]any, n)
	for i := range l {
		l[i] = map[string]any{"name": "Contacts"}
	}
	return l
}

func notTree(levels int) any {
	var c any = compareOf("Equal", map[string]any{"value": "x"})
	for range levels - 1 {
		c = map[string]any{"_type": "not", "not": c}
	}
	return c
}

// dataSites lists a site for every constrained place of the query
// operations, by operation and place.
var dataSites = map[string]map[string]site{
	"entityQuery": {
		"typeName":           {base: `{"typeName":"Project"}`, at: "typeName"},
		"orders":             {base: `{"typeName":"Project","orders":[]}`, at: "orders", list: orderList},
		"orders[].fieldName": {base: `{"typeName":"Project","orders":[{"fieldName":"Name"}]}`, at: "orders.0.fieldName"},
		"orders[].order":     {base: `{"typeName":"Project","orders":[{"fieldName":"Name"}]}`, at: "orders.0.order", example: "Ascending"},
		"paging.from":        {base: `{"typeName":"Project","paging":{}}`, at: "paging.from", example: 0},
		"paging.limit":       {base: `{"typeName":"Project","paging":{}}`, at: "paging.limit", example: 5},
		"where": {base: `{"typeName":"Project"}`, at: "where", example: compareOf("Equal", map[string]any{"value": "x"}), nest: notTree, tags: map[string]any{
			"compare":       compareOf("Equal", map[string]any{"value": "x"}),
			"and":           map[string]any{"_type": "and", "and": []any{compareOf("Equal", map[string]any{"value": "x"})}},
			"or":            map[string]any{"_type": "or", "or": []any{compareOf("Equal", map[string]any{"value": "x"})}},
			"not":           map[string]any{"_type": "not", "not": compareOf("Equal", map[string]any{"value": "x"})},
			"cZQLCondition": map[string]any{"_type": "cZQLCondition", "text": "Name = 'x'"},
		}},
		"where<compare>._type":                       {base: cmpBody, at: "where._type"},
		"where<compare>.leftExpression":              {base: cmpBody, at: "where.leftExpression"},
		"where<compare>.leftExpression.fieldName":    {base: cmpBody, at: "where.leftExpression.fieldName"},
		"where<compare>.leftExpression._type":        {base: cmpBody, at: "where.leftExpression._type", example: "fieldExpression"},
		"where<compare>.leftExpression.value":        {base: cmpBody, at: "where.leftExpression.value", example: "x", text: repeat, list: textList},
		"where<compare>.leftExpression.values":       {base: cmpBody, at: "where.leftExpression.values", example: []any{"x"}, list: textList},
		"where<compare>.leftExpression.values[]":     {base: cmpBody, at: "where.leftExpression.values", example: "x", text: repeat, set: func(b map[string]any, v any) { put(b, "where.leftExpression.values", list(v)) }},
		"where<compare>.leftExpression.values[].id":  {base: cmpBody, at: "where.leftExpression.values", example: "/Project/1", set: func(b map[string]any, v any) { put(b, "where.leftExpression.values", list(ref(v))) }},
		"where<compare>.leftExpression.value[]":      {base: cmpBody, at: "where.leftExpression.value", example: "x", text: repeat, set: func(b map[string]any, v any) { put(b, "where.leftExpression.value", list(v)) }},
		"where<compare>.leftExpression.value.id":     {base: cmpBody, at: "where.leftExpression.value.id", example: "/Project/1", set: func(b map[string]any, v any) { put(b, "where.leftExpression.value", ref(v)) }},
		"where<compare>.leftExpression.value[].id":   {base: cmpBody, at: "where.leftExpression.value", example: "/Project/1", set: func(b map[string]any, v any) { put(b, "where.leftExpression.value", list(ref(v))) }},
		"where<compare>.operator":                    {base: cmpBody, at: "where.operator", set: setOperator},
		"where<compare>.rightExpression":             {base: cmpBody, at: "where.rightExpression", none: map[string]any{}},
		"where<compare>.rightExpression.fieldName":   {base: cmpBody, at: "where.rightExpression.fieldName", example: "Name"},
		"where<compare>.rightExpression._type":       {base: cmpBody, at: "where.rightExpression._type", example: "constantExpression", set: rightTyped},
		"where<compare>.rightExpression.value":       {base: cmpBody, at: "where.rightExpression.value", text: repeat, list: textList, set: inWhenList("where.rightExpression.value"), alone: true},
		"where<compare>.rightExpression.values":      {base: inValues, at: "where.rightExpression.values", list: textList, alone: true},
		"where<compare>.rightExpression.values[]":    {base: inValues, at: "where.rightExpression.values.0", text: repeat},
		"where<compare>.rightExpression.values[].id": {base: inValues, at: "where.rightExpression.values.0.id", example: "/Project/1", set: func(b map[string]any, v any) { put(b, "where.rightExpression.values", []any{ref(v)}) }},
		"where<compare>.rightExpression.value[]":     {base: inBody, at: "where.rightExpression.value.0", text: repeat},
		"where<compare>.rightExpression.value.id":    {base: cmpBody, at: "where.rightExpression.value.id", example: "/Project/1", set: func(b map[string]any, v any) { put(b, "where.rightExpression.value", ref(v)) }},
		"where<compare>.rightExpression.value[].id":  {base: inBody, at: "where.rightExpression.value.0.id", example: "/Project/1", set: func(b map[string]any, v any) { put(b, "where.rightExpression.value", []any{ref(v)}) }},
		"where<and>._type":                           {base: `{"typeName":"Project","where":{"_type":"and","and":[]}}`, at: "where._type"},
		"where<and>.and":                             {base: `{"typeName":"Project","where":{"_type":"and","and":[]}}`, at: "where.and"},
		"where<or>._type":                            {base: `{"typeName":"Project","where":{"_type":"or","or":[]}}`, at: "where._type"},
		"where<or>.or":                               {base: `{"typeName":"Project","where":{"_type":"or","or":[]}}`, at: "where.or"},
		"where<not>._type":                           {base: `{"typeName":"Project","where":{"_type":"not","not":{"_type":"and","and":[]}}}`, at: "where._type"},
		"where<not>.not":                             {base: `{"typeName":"Project","where":{"_type":"not","not":{"_type":"and","and":[]}}}`, at: "where.not"},
		"where<cZQLCondition>._type":                 {base: czqlBody, at: "where._type"},
		"where<cZQLCondition>.text":                  {base: czqlBody, at: "where.text"},
		"where<cZQLCondition>.parameters.*":          {base: czqlBody, at: "where.parameters.p", text: repeat, list: textList, set: czqlInWhenList("where.parameters.p", "where.text", "Name IN (:p)")},
		"where<cZQLCondition>.parameters.*[]":        {base: czqlIn, at: "where.parameters.p.0", text: repeat},
		"where<cZQLCondition>.parameters.*.id":       {base: czqlBody, at: "where.parameters.p.id", example: "/Project/1", set: func(b map[string]any, v any) { put(b, "where.parameters.p", ref(v)) }},
		"where<cZQLCondition>.parameters.*[].id":     {base: czqlIn, at: "where.parameters.p.0.id", example: "/Project/1", set: func(b map[string]any, v any) { put(b, "where.parameters.p", []any{ref(v)}) }},
		"relations":                                  {base: `{"typeName":"Companies","relations":[]}`, at: "relations", list: relationList},
		"relations[].name":                           {base: `{"typeName":"Companies","relations":[{"name":"Contacts"}]}`, at: "relations.0.name", example: "Contacts"},
		"relations[].orders":                         {base: `{"typeName":"Companies","relations":[{"name":"Contacts","orders":[]}]}`, at: "relations.0.orders", list: orderList},
		"relations[].orders[].fieldName":             {base: `{"typeName":"Companies","relations":[{"name":"Contacts","orders":[{"fieldName":"Name"}]}]}`, at: "relations.0.orders.0.fieldName"},
		"relations[].orders[].order":                 {base: `{"typeName":"Companies","relations":[{"name":"Contacts","orders":[{"fieldName":"Name"}]}]}`, at: "relations.0.orders.0.order", example: "Ascending"},
	},
	"query": {
		"q":                 {base: `{"q":"SELECT Name FROM Project"}`, at: "q", example: "SELECT Name FROM Project"},
		"parameters.*":      {base: `{"q":"SELECT Name FROM Project WHERE Name = :p","parameters":{"p":"x"}}`, at: "parameters.p", text: repeat, list: textList, set: czqlInWhenList("parameters.p", "q", "SELECT Name FROM Project WHERE Name IN (:p)")},
		"parameters.*[]":    {base: `{"q":"SELECT Name FROM Project WHERE Name IN (:p)","parameters":{"p":["x"]}}`, at: "parameters.p.0", text: repeat},
		"parameters.*.id":   {base: `{"q":"SELECT Name FROM Project WHERE Name = :p","parameters":{"p":"x"}}`, at: "parameters.p", example: "/Project/1", set: func(b map[string]any, v any) { put(b, "parameters.p", ref(v)) }},
		"parameters.*[].id": {base: `{"q":"SELECT Name FROM Project WHERE Name IN (:p)","parameters":{"p":["x"]}}`, at: "parameters.p", example: "/Project/1", set: func(b map[string]any, v any) { put(b, "parameters.p", []any{ref(v)}) }},
		"paging.from":       {base: `{"q":"SELECT Name FROM Project","paging":{}}`, at: "paging.from", example: 0},
		"paging.limit":      {base: `{"q":"SELECT Name FROM Project","paging":{}}`, at: "paging.limit", example: 5},
	},
	"entityQueryGet": {
		"?typeName": {base: "typeName=Project", at: "typeName"},
		// Orders text of any length: a field, then spaces.
		"?orders": {base: "typeName=Project&orders=Name", at: "orders", text: func(n int) string { return "Name" + strings.Repeat(" ", n-4) }},
		"?from":   {base: "typeName=Project", at: "from", example: 0},
		"?limit":  {base: "typeName=Project", at: "limit", example: 5},
	},
	"getObject": {
		"{typeName}": {base: "/V2.0/services/data/objects/{typeName}/5", at: "typeName", example: "Project", bad: "9Project"},
	},
}

// aggBase is a valid aggregateQuery body: a count grouped by Name (so
// orders by Name are valid).
const aggBase = `{"typeName":"Project","aggregations":[{"function":"Count","fieldName":"id"}],"groupBy":["Name"]}`

// withAggregations turns an entityQuery body into an aggregateQuery one.
func withAggregations(base string) string {
	var b map[string]any
	if err := json.Unmarshal([]byte(base), &b); err != nil {
		panic(err)
	}
	var agg map[string]any
	_ = json.Unmarshal([]byte(aggBase), &agg)
	for k, v := range agg {
		if _, ok := b[k]; !ok {
			b[k] = v
		}
	}
	out, _ := json.Marshal(b)
	return string(out)
}

// groupFields lists n distinct fields of Project (it has 8).
func groupFields(n int) any {
	all := []any{"Name", "State", "StartDate", "DueDate", "Budget", "PercentComplete", "Billable", "Client", "Owner"}
	return all[:min(n, len(all))]
}

func init() {
	// aggregateQuery takes entityQuery's where, orders and paging (its
	// sites, in an aggregate body) and its own members.
	agg := map[string]site{
		"typeName": {base: aggBase, at: "typeName"},
		"aggregations": {base: aggBase, at: "aggregations", list: func(n int) any {
			l := make([]any, n)
			for i := range l {
				l[i] = map[string]any{"function": "Count", "fieldName": "id", "alias": "n" + strconv.Itoa(i)}
			}
			return l
		}},
		"aggregations[].function": {base: aggBase, at: "aggregations.0.function", set: func(b map[string]any, v any) {
			put(b, "aggregations.0.function", v)
			if v != omit && v != "Count" {
				put(b, "aggregations.0.fieldName", "Budget") // every function reads a number
			}
		}},
		"aggregations[].fieldName": {base: aggBase, at: "aggregations.0.fieldName", example: "id"},
		"aggregations[].alias": {base: aggBase, at: "aggregations.0.alias", example: "Cnt", bad: "9lives",
			text: func(n int) string { return strings.Repeat("a", n) }},
		"groupBy":   {base: aggBase, at: "groupBy", list: groupFields},
		"groupBy[]": {base: aggBase, at: "groupBy.0", example: "Name"},
	}
	for place, st := range dataSites["entityQuery"] {
		if strings.HasPrefix(place, "where") || strings.HasPrefix(place, "orders") || strings.HasPrefix(place, "paging") {
			st.base = withAggregations(st.base)
			agg[place] = st
		}
	}
	dataSites["aggregateQuery"] = agg
}

// ignoredPlaces are constrained places this test does not send, and why.
var ignoredPlaces = map[string]string{
	"getObject {id}": "an empty path segment is routed to no operation (404) before the parameter is read",
}

// ref makes a reference constant {id} (omit: {}).
func ref(id any) any {
	if id == omit {
		return map[string]any{}
	}
	return map[string]any{"id": id}
}

// list makes a one-item list (omit: an empty one).
func list(v any) any {
	if v == omit {
		return []any{}
	}
	return []any{v}
}

func setOperator(b map[string]any, v any) {
	put(b, "where.operator", v)
	if v == "In" {
		put(b, "where.rightExpression.value", []any{"x"})
	}
}

// put sets the value at a dotted path of a decoded JSON body; omit deletes
// it.
func put(body map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	var cur any = body
	for _, k := range keys[:len(keys)-1] {
		switch c := cur.(type) {
		case map[string]any:
			if c[k] == nil {
				c[k] = map[string]any{}
			}
			cur = c[k]
		case []any:
			i, _ := strconv.Atoi(k)
			cur = c[i]
		}
	}
	last := keys[len(keys)-1]
	switch c := cur.(type) {
	case map[string]any:
		if v == omit {
			delete(c, last)
		} else {
			c[last] = v
		}
	case []any:
		i, _ := strconv.Atoi(last)
		if v == omit {
			put(body, strings.Join(keys[:len(keys)-1], "."), slices.Delete(c, i, i+1))
		} else {
			c[i] = v
		}
	}
}

type omitted struct{}

var omit any = omitted{}

// get reads the value at a dotted path.
func get(body map[string]any, path string) any {
	var cur any = body
	for _, k := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			i, _ := strconv.Atoi(k)
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func TestDataAPIAcceptsExactlyWhatItsSpecAllows(t *testing.T) {
	t.Parallel()
	doc, err := openapi.Load(openapi.Data)
	require.NoError(t, err)
	srv := mocktest.Start(t)
	hc := srv.HTTPClient()

	type opInfo struct {
		method, path string
	}
	ops := map[string]opInfo{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if _, ok := dataSites[op.OperationID]; ok {
				ops[op.OperationID] = opInfo{method, path}
			}
		}
	}
	require.Len(t, ops, len(dataSites), "every operation with sites is in the spec")

	for _, id := range slices.Sorted(maps.Keys(dataSites)) {
		info := ops[id]
		op := doc.Paths.Find(info.path).GetOperation(info.method)
		facets := specFacets(doc.Paths.Find(info.path), op)
		sites := dataSites[id]
		for place := range sites {
			if _, ok := facets[place]; !ok {
				t.Errorf("%s: the site %q constrains nothing in the spec any more: remove it", id, place)
			}
		}
		for _, place := range slices.Sorted(maps.Keys(facets)) {
			if why, ok := ignoredPlaces[id+" "+place]; ok {
				t.Logf("%s %s: not sent: %s", id, place, why)
				continue
			}
			st, ok := sites[place]
			if !ok {
				t.Errorf("%s: the spec constrains %q (%+v) and no site sends it: add one to dataSites", id, place, *facets[place])
				continue
			}
			t.Run(id+"/"+place, func(t *testing.T) {
				c := &caller{t: t, place: place, hc: hc, url: srv.URL, method: info.method, path: info.path, st: st}
				c.check(facets[place])
			})
		}
	}
}

type caller struct {
	t            *testing.T
	place        string
	hc           *http.Client
	url          string
	method, path string
	st           site
}

// send puts v at the site (omit: leaves it out) and returns the status and
// body of the answer.
func (c *caller) send(v any) (int, []byte) {
	c.t.Helper()
	var req *http.Request
	var err error
	switch {
	case c.method == http.MethodGet && strings.HasPrefix(c.st.base, "/"):
		p := c.st.base
		if v != omit {
			p = strings.ReplaceAll(p, "{"+c.st.at+"}", url.PathEscape(fmt.Sprint(v)))
		}
		req, err = http.NewRequest(c.method, c.url+p, nil)
	case c.method == http.MethodGet:
		q, _ := url.ParseQuery(c.st.base)
		q.Del(c.st.at)
		if v != omit {
			q.Set(c.st.at, fmt.Sprint(v))
		}
		req, err = http.NewRequest(c.method, c.url+c.path+"?"+q.Encode(), nil)
	default:
		var body map[string]any
		require.NoError(c.t, json.Unmarshal([]byte(c.st.base), &body))
		if c.st.set != nil {
			c.st.set(body, v)
		} else {
			put(body, c.st.at, v)
		}
		b, _ := json.Marshal(body)
		req, err = http.NewRequest(c.method, c.url+c.path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
	}
	require.NoError(c.t, err)
	req.Header.Set("Authorization", "ApiKey demo-key-service")
	resp, err := c.hc.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (c *caller) expect(v any, ok bool, what string) []byte {
	c.t.Helper()
	status, body := c.send(v)
	shown := fmt.Sprint(v)
	if len(shown) > 40 {
		shown = shown[:40] + "..."
	}
	if ok {
		assert.True(c.t, status >= 200 && status < 300, "%s (%s): the spec allows it, the mock answered %d %s", what, shown, status, body)
	} else {
		assert.Equal(c.t, http.StatusBadRequest, status, "%s (%s): the spec refuses it, the mock answered %s", what, shown, body)
	}
	return body
}

// example is a valid value of the site.
func (c *caller) example() any {
	if c.st.example != nil {
		return c.st.example
	}
	var body map[string]any
	if json.Unmarshal([]byte(c.st.base), &body) == nil {
		if v := get(body, c.st.at); v != nil {
			return v
		}
	}
	q, _ := url.ParseQuery(c.st.base)
	return q.Get(c.st.at)
}

func (c *caller) check(f *facet) {
	c.expect(c.example(), true, "the example")
	// A map's member (parameters.*) is not omitted: the text names it. A
	// path parameter cannot be.
	optional := !strings.HasSuffix(c.place, "*") && !strings.HasPrefix(c.st.base, "/")
	switch {
	case f.required && strings.HasPrefix(c.st.base, "/"):
	case f.required:
		if c.st.none != nil {
			c.expect(c.st.none, false, "none of the required members")
		} else {
			c.expect(omit, false, "omitted, it is required")
		}
	case f.def == nil && optional && !c.st.alone:
		c.expect(omit, true, "omitted, it is optional")
	}
	if f.def != nil {
		_, omitted := c.send(omit)
		explicit := c.expect(f.def, true, "the default")
		assert.JSONEq(c.t, string(explicit), string(omitted), "omitted is the default %v", f.def)
		var page struct {
			Paging map[string]any `json:"paging"`
		}
		if json.Unmarshal(omitted, &page) == nil && strings.HasSuffix(c.st.at, ".limit") {
			assert.Equal(c.t, f.def, page.Paging["limit"], "the page says the default limit")
		}
	}
	if f.minimum != nil {
		c.expect(int(*f.minimum), true, "the minimum")
		c.expect(int(*f.minimum)-1, false, "below the minimum")
	}
	if f.maximum != nil {
		c.expect(int(*f.maximum), true, "the maximum")
		c.expect(int(*f.maximum)+1, false, "above the maximum")
	}
	if f.minLength > 0 {
		n := int(f.minLength)
		if c.st.text != nil {
			c.expect(c.st.text(n), true, "the shortest text")
		}
		c.expect(strings.Repeat("a", n-1), false, "shorter than the shortest")
	}
	if f.maxLength != nil {
		n := int(*f.maxLength)
		require.NotNil(c.t, c.st.text, "a bounded text needs a site that makes texts")
		c.expect(c.st.text(n), true, "the longest text")
		c.expect(c.st.text(n+1), false, "longer than the longest")
	}
	if f.maxItem != nil {
		n := int(*f.maxItem)
		require.NotNil(c.t, c.st.list, "a bounded list needs a site that makes lists")
		c.expect(c.st.list(n), true, "the longest list")
		c.expect(c.st.list(n+1), false, "longer than the longest")
	}
	for _, v := range f.enum {
		c.expect(v, true, "a value of the enum")
	}
	if len(f.enum) > 0 {
		c.expect("Undeclared", false, "a value outside the enum")
	}
	if f.pattern != "" {
		require.NotEmpty(c.t, c.st.bad, "a pattern needs a site with a bad value")
		c.expect(c.st.bad, false, "a value outside the pattern "+f.pattern)
	}
	if f.maxDepth > 0 {
		require.NotNil(c.t, c.st.nest, "a nesting limit needs a site that nests")
		c.expect(c.st.nest(f.maxDepth), true, "nested as deep as allowed")
		c.expect(c.st.nest(f.maxDepth+1), false, "nested deeper")
	}
	if len(f.mapping) > 0 {
		require.Equal(c.t, f.mapping, slices.Sorted(maps.Keys(c.st.tags)), "a valid value for each tag")
		for _, tag := range f.mapping {
			c.expect(c.st.tags[tag], true, "tagged "+tag)
			bad := maps.Clone(c.st.tags[tag].(map[string]any))
			bad["_type"] = strings.ToUpper(tag)
			c.expect(bad, false, "tagged "+tag+" in another case")
		}
		c.expect(map[string]any{"_type": "undeclared"}, false, "an undeclared tag")
	}
}
