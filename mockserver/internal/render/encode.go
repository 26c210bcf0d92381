package render

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/api/dataapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Query results are written straight from the tenant's columns into JSON,
// without building a map per row: at a thousand rows a page, the encoder is
// most of the cost of a page. This is the one response of the data API not
// encoded from its generated model: an entity page is a
// dataapi.EntityQueryResult (entities, then paging as AppendPaging writes
// a dataapi.Paging), and a test holds the two to the same JSON.

// Projection is the field list of a query, resolved against the type.
type Projection []Field

// projField is one output key: a field, and for references the dotted
// sub-fields asked for (Manager.Email).
type Field struct {
	Name  string
	Type  tenant.FieldType
	Plain bool     // the field itself was asked for
	Subs  []string // declared names of dotted sub-fields
	// readable says, for a reference, whether the effective user may read
	// the referenced type through the API (users always): only then may
	// the reference show its Name. Set by ReadableRefs.
	readable bool
}

// ReadableRefs marks the reference fields of proj whose type user may read
// through the API (object access, step 5): once per query, not per row.
// A reference to any other type is written as its id alone, as is a
// reference to a row that row-level sharing hides from the user or that
// does not exist (the engine's RefName), so a reference never shows what
// the user could not read itself.
func ReadableRefs(t *tenant.Tenant, user int64, proj Projection) {
	for i := range proj {
		ft := proj[i].Type
		proj[i].readable = ft.Kind == tenant.KindRef && decide.Readable(t, user, ft.RefType)
	}
}

// ResolveProjection checks a field list: declared fields (case-insensitive),
// and dotted paths one level deep through reference fields. idName is
// accepted and dropped. It returns the bad name and why.
func ResolveProjection(t *tenant.Tenant, et *tenant.EntityType, names []string, idName string) (Projection, string, string) {
	var out Projection
	at := map[string]int{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || strings.EqualFold(n, idName) {
			continue
		}
		head, sub, dotted := strings.Cut(n, ".")
		name, ok := et.FieldName(head)
		if !ok {
			return nil, n, et.Name + " has no field " + strconv.Quote(head)
		}
		i, seen := at[name]
		if !seen {
			i = len(out)
			at[name] = i
			out = append(out, Field{Name: name, Type: et.Fields[name]})
		}
		if !dotted {
			out[i].Plain = true
			continue
		}
		ft := et.Fields[name]
		if ft.Kind != tenant.KindRef {
			return nil, n, name + " is not a reference field, so it has no sub-fields"
		}
		if strings.Contains(sub, ".") {
			return nil, n, "dotted paths go one level deep (Reference.Field)"
		}
		subName, _, ok := t.RefFieldType(ft.RefType, sub)
		if !ok {
			return nil, n, ft.RefType + " has no field " + strconv.Quote(sub)
		}
		if !slices.Contains(out[i].Subs, subName) {
			out[i].Subs = append(out[i].Subs, subName)
		}
	}
	return out, "", ""
}

// AllProjection lists every field of a type.
func AllProjection(et *tenant.EntityType) Projection {
	names := AllFields(et)
	out := make(Projection, len(names))
	for i, n := range names {
		out[i] = Field{Name: n, Type: et.Fields[n], Plain: true}
	}
	return out
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func GetBuf() *[]byte { return bufPool.Get().(*[]byte) }

func PutBuf(b *[]byte) {
	if cap(*b) <= 16<<20 {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

// AppendEntities writes the data API form of rows: {"id":"/Type/n", fields
// in projection order, references as {"id","Name"} plus dotted sub-fields}.
// A reference the user may not read (ReadableRefs, Rows.RefName) is
// {"id"} alone; dotted sub-fields of a hidden or missing row are null.
func AppendEntities(b []byte, rows *tenant.Rows, proj Projection) []byte {
	return AppendEntitiesMarked(b, rows, proj, nil)
}

// AppendEntitiesMarked is AppendEntities calling mark, when not nil, with
// each entity's index and the length of b just before that entity's
// closing brace: where members of its own (its relations) go.
func AppendEntitiesMarked(b []byte, rows *tenant.Rows, proj Projection, mark func(i, at int)) []byte {
	fields := make([]tenant.Field, len(proj))
	for i, p := range proj {
		fields[i], _ = rows.Field(p.Name)
	}
	prefix := "/" + rows.Type() + "/"
	for i := range rows.Len() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":"`...)
		b = append(b, prefix...)
		b = strconv.AppendInt(b, rows.ID(i), 10)
		b = append(b, '"')
		for j, p := range proj {
			b = append(b, ',')
			b = wire.AppendString(b, p.Name)
			b = append(b, ':')
			v := rows.Value(i, fields[j])
			if v.Null || v.Kind != tenant.KindRef {
				b = appendValue(b, v)
				continue
			}
			b = append(b, `{"id":"/`...)
			b = append(b, v.Ref.Type...)
			b = append(b, '/')
			b = strconv.AppendInt(b, v.Ref.ID, 10)
			b = append(b, '"')
			named := false
			if p.Plain && p.readable {
				if name, ok := rows.RefName(v.Ref); ok {
					b = append(b, `,"Name":`...)
					b = wire.AppendString(b, name)
					named = true
				}
			}
			for _, s := range p.Subs {
				if named && s == "Name" {
					continue
				}
				sv, _ := rows.RefField(v.Ref, s)
				b = append(b, ',')
				b = wire.AppendString(b, s)
				b = append(b, ':')
				b = appendValue(b, sv)
			}
			b = append(b, '}')
		}
		if mark != nil {
			mark(i, len(b))
		}
		b = append(b, '}')
	}
	return b
}

// appendValue writes a non-reference value (references as their id).
func appendValue(b []byte, v tenant.Value) []byte {
	if v.Null {
		return append(b, "null"...)
	}
	switch v.Kind {
	case tenant.KindString:
		return wire.AppendString(b, v.Str)
	case tenant.KindNumber:
		return appendFloat(b, v.Num)
	case tenant.KindBool:
		return strconv.AppendBool(b, v.Bool)
	case tenant.KindDate:
		b = append(b, '"')
		b = tenant.AppendDate(b, v.Time)
		return append(b, '"')
	case tenant.KindRef:
		return wire.AppendString(b, v.Ref.String())
	}
	return append(b, "null"...)
}

// appendFloat writes a number as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// AppendPaging writes the paging object of an entity page, a
// dataapi.Paging: from, limit and hasMore, in that order.
func AppendPaging(b []byte, p dataapi.Paging) []byte {
	b = append(b, `{"from":`...)
	b = strconv.AppendInt(b, int64(p.From), 10)
	b = append(b, `,"limit":`...)
	b = strconv.AppendInt(b, int64(p.Limit), 10)
	b = append(b, `,"hasMore":`...)
	b = strconv.AppendBool(b, p.HasMore)
	return append(b, '}')
}

// EncodeEntityPage runs spec on t and encodes the page as entityQuery
// answers it, with every field of the type. It exists to measure the
// engine and its encoder without HTTP.
func EncodeEntityPage(t *tenant.Tenant, spec tenant.QuerySpec) ([]byte, error) {
	et, ok := t.EntityType(spec.Type)
	if !ok {
		return nil, fmt.Errorf("mockserver: unknown entity type %q", spec.Type)
	}
	proj := AllProjection(&et)
	ReadableRefs(t, spec.User, proj)
	b := append([]byte(nil), `{"entities":[`...)
	info, err := t.Query(spec, func(rows *tenant.Rows) error {
		b = AppendEntities(b, rows, proj)
		return nil
	})
	if err != nil {
		return nil, err
	}
	b = append(b, `],"paging":`...)
	b = AppendPaging(b, dataapi.Paging{From: info.Next, Limit: spec.Limit, HasMore: info.HasMore})
	return append(b, '}'), nil
}
