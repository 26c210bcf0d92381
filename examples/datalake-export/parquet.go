package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/tenantkit/tenantkit/client/relationshipapi"
)

// Column kinds, inferred from the exported values.
type colKind int

const (
	kindNull colKind = iota // only nulls seen so far
	kindString
	kindNumber
	kindBool
	kindJSON // objects (references), arrays, or mixed values: stored as JSON text
)

// column is one Parquet column.
type column struct {
	name     string
	kind     colKind
	required bool // the row id
	integer  bool // an id stored as INT64
	// named: a text column whose values may come as an object with a
	// name (a choice, or the key field's reference to its own row):
	// the name is stored.
	named bool
}

// The relationship API's field types (its schema's fieldType).
const (
	fieldText    = 1
	fieldChoice  = 2
	fieldNumber  = 3
	fieldDate    = 4
	fieldBoolean = 6
)

// schemaColumns are the Parquet columns of entry rows with the schema's
// fields: the EntryId, then text, choices and the key field as text (a
// choice by its name, the key field by the row's name), numbers as
// doubles, dates as RFC 3339 text, booleans, and references, users and
// every other type as JSON text.
func schemaColumns(fields []relationshipapi.Field) []column {
	cols := []column{{name: idColumn("rows"), kind: kindString, required: true, integer: true}}
	for _, f := range fields {
		c := column{name: f.ApiName, kind: kindJSON}
		switch f.FieldType {
		case fieldText, fieldChoice:
			c.kind, c.named = kindString, true
		case fieldDate:
			c.kind = kindString
		case fieldNumber:
			c.kind = kindNumber
		case fieldBoolean:
			c.kind = kindBool
		}
		cols = append(cols, c)
	}
	slices.SortFunc(cols[1:], func(a, b column) int { return strings.Compare(a.name, b.name) })
	return cols
}

// idColumn names the row id of each source.
func idColumn(source string) string {
	if source == "rows" {
		return "EntryId"
	}
	return "id"
}

// inferColumns reads the NDJSON journal once and picks each field's type:
// string, double, boolean, or JSON text for references and mixed values.
// The id is a required string (data API, "/Type/n") or INT64 (EntryId).
// It stops when ctx is done (checked every batchRows lines).
func inferColumns(ctx context.Context, r io.Reader, source string) ([]column, error) {
	kinds := map[string]colKind{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 64<<20)
	for line := 0; sc.Scan(); line++ {
		if line%batchRows == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		row, err := decodeRow(sc.Bytes())
		if err != nil {
			return nil, err
		}
		for k, v := range row {
			kinds[k] = merge(kinds[k], kindOf(v))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	id := idColumn(source)
	cols := []column{{name: id, kind: kindString, required: true, integer: source == "rows"}}
	for name, k := range kinds {
		if name == id {
			continue
		}
		if k == kindNull {
			k = kindString
		}
		cols = append(cols, column{name: name, kind: k})
	}
	slices.SortFunc(cols[1:], func(a, b column) int { return strings.Compare(a.name, b.name) })
	return cols, nil
}

func decodeRow(line []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var row map[string]any
	if err := dec.Decode(&row); err != nil {
		return nil, fmt.Errorf("journal line %.40q: %w", line, err)
	}
	return row, nil
}

func kindOf(v any) colKind {
	switch v.(type) {
	case nil:
		return kindNull
	case string:
		return kindString
	case json.Number:
		return kindNumber
	case bool:
		return kindBool
	}
	return kindJSON
}

func merge(a, b colKind) colKind {
	switch {
	case a == kindNull:
		return b
	case b == kindNull, a == b:
		return a
	}
	return kindJSON
}

// schema builds the Parquet schema of the columns.
func schema(cols []column) *parquet.Schema {
	g := parquet.Group{}
	for _, c := range cols {
		var n parquet.Node
		switch {
		case c.integer:
			n = parquet.Int(64)
		case c.kind == kindNumber:
			n = parquet.Leaf(parquet.DoubleType)
		case c.kind == kindBool:
			n = parquet.Leaf(parquet.BooleanType)
		default:
			n = parquet.String()
		}
		if !c.required {
			n = parquet.Optional(n)
		}
		g[c.name] = n
	}
	return parquet.NewSchema("row", g)
}

// convert turns one journal row into a Parquet row. index maps a column's
// name to its position among the schema's leaf columns. Values are written
// explicitly, with definition levels, so that false, 0 and "" stay values
// and only JSON null (or a missing field) is null.
func convert(row map[string]any, cols []column, index map[string]int) (parquet.Row, error) {
	out := make(parquet.Row, len(cols))
	for _, c := range cols {
		i := index[c.name]
		def := 1
		if c.required {
			def = 0
		}
		v, ok := row[c.name]
		if c.named {
			v = nameOf(v)
		}
		if !ok || v == nil {
			if c.required {
				return nil, fmt.Errorf("a row has no %s", c.name)
			}
			out[i] = parquet.NullValue().Level(0, 0, i)
			continue
		}
		var pv parquet.Value
		switch {
		case c.integer:
			n, err := v.(json.Number).Int64()
			if err != nil {
				return nil, fmt.Errorf("%s %v is not an integer", c.name, v)
			}
			pv = parquet.Int64Value(n)
		case c.kind == kindNumber:
			num, ok := v.(json.Number)
			if !ok {
				return nil, fmt.Errorf("%s %v is not a number", c.name, v)
			}
			f, err := num.Float64()
			if err != nil {
				return nil, fmt.Errorf("%s %v is not a number", c.name, v)
			}
			pv = parquet.DoubleValue(f)
		case c.kind == kindBool:
			bv, ok := v.(bool)
			if !ok {
				return nil, fmt.Errorf("%s %v is not a boolean", c.name, v)
			}
			pv = parquet.BooleanValue(bv)
		case c.kind == kindString:
			sv, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%s %v is not text", c.name, v)
			}
			pv = parquet.ByteArrayValue([]byte(sv))
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			pv = parquet.ByteArrayValue(b)
		}
		out[i] = pv.Level(0, def, i)
	}
	return out, nil
}

// nameOf is the name of a choice or a reference to the row itself,
// {"name": ...} or an array of one such object; other values are as they are.
func nameOf(v any) any {
	if a, ok := v.([]any); ok && len(a) == 1 {
		v = a[0]
	}
	if m, ok := v.(map[string]any); ok {
		return m["name"]
	}
	return v
}

// batchRows is how many rows the Parquet writer gets at once; ctx is
// checked before every batch.
const batchRows = 1000

// writeParquet converts the NDJSON journal (read from the start of f) into
// a Parquet file at path, with cols (nil: inferred from the rows), written beside it and renamed into place, and
// returns the number of rows. It stops, leaving no file at path, when ctx
// is done (Ctrl-C, -timeout).
func writeParquet(ctx context.Context, f io.ReadSeeker, path, source string, cols []column) (int, error) {
	if cols == nil {
		var err error
		if cols, err = inferColumns(ctx, f, source); err != nil {
			return 0, err
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	tmp := path + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp)
	defer out.Close()
	sch := schema(cols)
	index := map[string]int{}
	for i, path := range sch.Columns() {
		index[path[0]] = i
	}
	w := parquet.NewWriter(out, sch, parquet.Compression(&parquet.Zstd))
	batch := make([]parquet.Row, 0, batchRows)
	n := 0
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		if _, err := w.WriteRows(batch); err != nil {
			return err
		}
		n += len(batch)
		batch = batch[:0]
		return nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 64<<20)
	for sc.Scan() {
		row, err := decodeRow(sc.Bytes())
		if err != nil {
			return 0, err
		}
		pr, err := convert(row, cols, index)
		if err != nil {
			return 0, err
		}
		batch = append(batch, pr)
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return 0, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if err := flush(); err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	return n, os.Rename(tmp, path)
}
