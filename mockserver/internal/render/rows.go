package render

import (
	"strconv"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/decide"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// The relationship API's rows (DealCloud's rows read) are written straight
// from the tenant's columns, like entity pages: a RowProjection resolves
// once per request how each field is written, so a row costs appends only.

// rowShape is how a rows read writes one field's values.
type rowShape uint8

const (
	shapePlain  rowShape = iota // text, number, bool, date: a JSON value
	shapeKey                    // the key (name) field: a reference to the row itself
	shapeChoice                 // a choice: {seqNumber, isAutoPdf, id, name, entryListId}
	shapeRef                    // a reference to an entry: {type, id, name, entryListId}
	shapeUser                   // a user: {url: mailto:, type, id, name, entryListId: -1}
)

// userEntryListID is the entryListId the vendor gives users.
const userEntryListID = -1

// rowField is one output field of a rows read.
type rowField struct {
	name  string // declared name
	key   string // `"Name":`, the JSON key and colon
	shape rowShape
	// entryList is the entry type id written as entryListId: the
	// referenced type's for a reference, the row's own for the key field
	// and choices.
	entryList int64
	// readable says, for a reference, whether the effective user may
	// read the referenced type through the API: only then may the
	// reference show its name (and only for a row it may see).
	readable bool
	// choiceBase is SchemaField.ChoiceID(0): a choice's id is choiceBase +
	// its seqNumber, as the schema's choiceValues number them.
	choiceBase int64
	choices    []string
	// urlPrefix, for a reference with resolveReferenceUrls, is its URL up
	// to the entry id.
	urlPrefix string
}

// RowsFormat is what a rows request asks of its values' shapes.
type RowsFormat struct {
	// Wrap (wrapIntoArrays) writes choice, reference and user values as
	// arrays of one object.
	Wrap bool
	// URLBase, when not empty (resolveReferenceUrls), is the scheme and
	// host the request was sent to: references then carry the URL of a
	// rows read of their entry under it.
	URLBase string
}

// RowProjection is the fields of a rows read, resolved against the entry
// type, the effective user and the format.
type RowProjection struct {
	fields []rowField
}

// NewRowProjection resolves names (declared field names; nil: every field)
// of et for user, as format asks.
func NewRowProjection(t *tenant.Tenant, user int64, et *tenant.EntityType, names []string, format RowsFormat) RowProjection {
	if names == nil {
		names = AllFields(et)
	}
	schema := make(map[string]*tenant.SchemaField, len(et.Schema))
	for i := range et.Schema {
		schema[et.Schema[i].Name] = &et.Schema[i]
	}
	out := RowProjection{fields: make([]rowField, len(names))}
	for i, n := range names {
		ft := et.Fields[n]
		f := rowField{name: n, key: string(wire.AppendString(nil, n)) + ":"}
		sf := schema[n]
		switch {
		case ft.Kind == tenant.KindRef && ft.RefType == tenant.UserType:
			f.shape = shapeUser
			f.entryList = userEntryListID
		case ft.Kind == tenant.KindRef:
			f.shape = shapeRef
			f.readable = decide.Readable(t, user, ft.RefType)
			seg := ft.RefType
			if ref, ok := t.EntityType(ft.RefType); ok && ref.EntryTypeID != 0 {
				f.entryList = ref.EntryTypeID
				seg = strconv.FormatInt(ref.EntryTypeID, 10)
			}
			if format.URLBase != "" {
				f.urlPrefix = rowURLPrefix(format.URLBase, seg)
			}
		case ft.Kind == tenant.KindString && sf != nil && sf.Key:
			f.shape = shapeKey
			f.entryList = et.EntryTypeID
			if format.URLBase != "" {
				seg := et.Name
				if et.EntryTypeID != 0 {
					seg = strconv.FormatInt(et.EntryTypeID, 10)
				}
				f.urlPrefix = rowURLPrefix(format.URLBase, seg)
			}
		case ft.Kind == tenant.KindString && sf != nil && len(sf.Choices) > 0:
			f.shape = shapeChoice
			f.entryList = et.EntryTypeID
			f.choiceBase = sf.ChoiceID(0)
			f.choices = sf.Choices
		}
		out.fields[i] = f
	}
	if format.Wrap {
		for i := range out.fields {
			if s := out.fields[i].shape; s == shapeChoice || s == shapeRef || s == shapeUser {
				out.fields[i].shape |= wrapped
			}
		}
	}
	return out
}

// wrapped marks a shape written as an array of one object.
const wrapped rowShape = 0x80

// rowURLPrefix is the URL of a rows read of one entry of the type at seg
// (its entry type id, or its name), up to the entry id:
// <base>/api/rest/v4/data/entrydata/rows/<seg>?query={EntryId:<id>}.
func rowURLPrefix(base, seg string) string {
	return base + "/api/rest/v4/data/entrydata/rows/" + seg + "?query=%7BEntryId%3A"
}

// AppendRows writes the relationship API form of rows, comma-separated:
// {"EntryId": n, fields in projection order}, each value shaped as the
// projection resolved it (see the spec's Row). A reference the user may not
// read (its type, or a row row-level sharing hides, or one that does not
// exist: Rows.RefName) carries its id and no name.
func AppendRows(b []byte, rows *tenant.Rows, proj RowProjection) []byte {
	fields := make([]tenant.Field, len(proj.fields))
	for i, p := range proj.fields {
		fields[i], _ = rows.Field(p.name)
	}
	for i := range rows.Len() {
		if i > 0 {
			b = append(b, ',')
		}
		id := rows.ID(i)
		b = append(b, `{"EntryId":`...)
		b = strconv.AppendInt(b, id, 10)
		for j := range proj.fields {
			p := &proj.fields[j]
			b = append(b, ',')
			b = append(b, p.key...)
			v := rows.Value(i, fields[j])
			if v.Null || p.shape == shapePlain {
				b = appendValue(b, v)
				continue
			}
			wrap := p.shape&wrapped != 0
			if wrap {
				b = append(b, '[')
			}
			switch p.shape &^ wrapped {
			case shapeKey:
				b = appendRef(b, p, id, v.Str, true)
			case shapeChoice:
				b = appendChoice(b, p, v.Str)
			case shapeRef:
				name, ok := "", false
				if p.readable {
					name, ok = rows.RefName(v.Ref)
				}
				b = appendRef(b, p, v.Ref.ID, name, ok)
			case shapeUser:
				b = appendUser(b, rows, p, v.Ref.ID)
			}
			if wrap {
				b = append(b, ']')
			}
		}
		b = append(b, '}')
	}
	return b
}

// appendRef writes a reference to an entry: {["url",]"type":0,"id",
// ["name",]"entryListId"}.
func appendRef(b []byte, p *rowField, id int64, name string, named bool) []byte {
	b = append(b, '{')
	if p.urlPrefix != "" {
		b = append(b, `"url":`...)
		b = append(b, '"')
		b = appendStringBody(b, p.urlPrefix)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, `%7D",`...)
	}
	b = append(b, `"type":0,"id":`...)
	b = strconv.AppendInt(b, id, 10)
	if named {
		b = append(b, `,"name":`...)
		b = wire.AppendString(b, name)
	}
	b = append(b, `,"entryListId":`...)
	b = strconv.AppendInt(b, p.entryList, 10)
	return append(b, '}')
}

// appendChoice writes a choice value; a stored text that is not one of the
// field's choices is written as text.
func appendChoice(b []byte, p *rowField, s string) []byte {
	seq := 0
	for k, c := range p.choices {
		if c == s {
			seq = k + 1
			break
		}
	}
	if seq == 0 {
		return wire.AppendString(b, s)
	}
	b = append(b, `{"seqNumber":`...)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, `,"isAutoPdf":false,"id":`...)
	b = strconv.AppendInt(b, p.choiceBase+int64(seq), 10)
	b = append(b, `,"name":`...)
	b = wire.AppendString(b, s)
	b = append(b, `,"entryListId":`...)
	b = strconv.AppendInt(b, p.entryList, 10)
	return append(b, '}')
}

// appendUser writes a user value: {"url":"mailto:<email>","type":0,"id",
// "name","entryListId":-1}; a user that does not exist has no url or name.
func appendUser(b []byte, rows *tenant.Rows, p *rowField, id int64) []byte {
	name, email, ok := rows.RefUser(id)
	b = append(b, '{')
	if ok {
		b = append(b, `"url":"mailto:`...)
		b = appendStringBody(b, email)
		b = append(b, `",`...)
	}
	b = append(b, `"type":0,"id":`...)
	b = strconv.AppendInt(b, id, 10)
	if ok {
		b = append(b, `,"name":`...)
		b = wire.AppendString(b, name)
	}
	b = append(b, `,"entryListId":`...)
	b = strconv.AppendInt(b, p.entryList, 10)
	return append(b, '}')
}

// appendStringBody writes s escaped as inside a JSON string, without the
// quotes.
func appendStringBody(b []byte, s string) []byte {
	n := len(b)
	b = wire.AppendString(b, s)
	// appendString wrote '"' s '"': drop the quotes in place.
	copy(b[n:], b[n+1:len(b)-1])
	return b[:len(b)-2]
}
