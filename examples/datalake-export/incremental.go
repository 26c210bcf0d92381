package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/client"
	"github.com/tenantkit/tenantkit/client/dataapi"
)

// Incremental exports (-source data only). Every entity has the system
// field LastUpdatedOn (a DateTime the server sets on every create and
// update, to the second). Each data export records in its checkpoint the
// watermark: the highest LastUpdatedOn it exported and, for each row
// exported at exactly that instant, its id and a hash of its content.
// -incremental asks only for rows with LastUpdatedOn at or after the
// watermark of the previous finished export to the same -out, and drops
// the rows that are still exactly as exported then (same id, same time,
// same content). So a row changed within the watermark's second after the
// previous export read past it, or read it, is exported again, and no row
// is exported twice unchanged. -since T asks for the rows with
// LastUpdatedOn at or after T.

// lastUpdatedOn is the system field incremental exports select by.
const lastUpdatedOn = "LastUpdatedOn"

// watermark is the highest LastUpdatedOn seen and, by id, the content
// hashes of the rows seen at it.
type watermark struct {
	Time string            `json:"time"` // RFC 3339, UTC
	Rows map[string]string `json:"rows,omitempty"`
}

// rowHash identifies a row's exported content.
func rowHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// at parses the watermark's time.
func (w *watermark) at() time.Time {
	t, _ := time.Parse(time.RFC3339, w.Time)
	return t
}

// observe moves the watermark to a row's LastUpdatedOn when it is later,
// or records the row when it is the same instant.
func (w *watermark) observe(r seenRow) {
	cur := w.at()
	switch {
	case w.Time == "" || r.updated.After(cur):
		w.Time, w.Rows = r.updated.UTC().Format(time.RFC3339), map[string]string{r.id: r.hash}
	case r.updated.Equal(cur):
		w.Rows[r.id] = r.hash
	}
}

// clone copies a watermark (nil stays nil).
func (w *watermark) clone() *watermark {
	if w == nil {
		return nil
	}
	return &watermark{Time: w.Time, Rows: maps.Clone(w.Rows)}
}

// sinceCondition is the where of rows changed at or after since.
func sinceCondition(since *watermark) *dataapi.Condition {
	if since == nil {
		return nil
	}
	return client.Where(client.Compare(lastUpdatedOn, dataapi.GreaterThanOrEqual, since.Time))
}

// seenAlready reports whether a row of an incremental page was exported by
// the previous run as it is now: same time (the watermark's), same id,
// same content.
func seenAlready(since *watermark, r seenRow) bool {
	if since == nil || len(since.Rows) == 0 || !r.updated.Equal(since.at()) {
		return false
	}
	h, ok := since.Rows[r.id]
	return ok && h == r.hash
}

// parseSince reads -since: RFC 3339, or a date (midnight UTC).
func parseSince(s string) (*watermark, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Truncate(time.Second) != t {
				t = t.Truncate(time.Second).Add(time.Second) // the server's times are whole seconds
			}
			return &watermark{Time: t.UTC().Format(time.RFC3339)}, nil
		}
	}
	return nil, fmt.Errorf("-since %q: want an RFC 3339 time (2026-03-01T09:00:00Z) or a date (2026-03-01)", s)
}

// dataFields reads the type's fields from the data API's metadata
// (client's DataService.ExportFields: describeEntities, the names asked for
// or every field); LastUpdatedOn is always among them when the type has
// it, for the watermark. A name the type does not have is an
// unknownFieldError listing its fields.
func dataFields(ctx context.Context, cl *client.Client, typeName string, names []string) ([]dataapi.FieldDescription, error) {
	descs, err := cl.Data.DescribeEntities(ctx, []string{typeName})
	if err != nil {
		return nil, err
	}
	desc := dataapi.EntityDescription{TypeName: typeName}
	for _, d := range descs {
		if strings.EqualFold(d.TypeName, typeName) {
			desc = d
		}
	}
	out, err := client.ExportFields(desc, names...)
	if err != nil {
		return nil, unknownFieldError{fmt.Errorf("-fields: %w", err)}
	}
	if len(names) > 0 && !slices.ContainsFunc(out, func(f dataapi.FieldDescription) bool { return f.Name == lastUpdatedOn }) {
		if last, err := client.ExportFields(desc, lastUpdatedOn); err == nil {
			out = append(out, last...)
		}
	}
	return out, nil
}

// dataColumns are the Parquet columns of the described fields: text and
// dates as strings, numbers as doubles, booleans, references and anything
// else as JSON text.
func dataColumns(fields []dataapi.FieldDescription) []column {
	cols := []column{{name: idColumn("data"), kind: kindString, required: true}}
	for _, f := range fields {
		c := column{name: f.Name, kind: kindJSON}
		switch f.Type {
		case dataapi.FieldDescriptionTypeString, dataapi.FieldDescriptionTypeDate, dataapi.FieldDescriptionTypeDateTime:
			c.kind = kindString
		case dataapi.FieldDescriptionTypeDouble, dataapi.FieldDescriptionTypeInteger, dataapi.FieldDescriptionTypeLong:
			c.kind = kindNumber
		case dataapi.FieldDescriptionTypeBoolean:
			c.kind = kindBool
		}
		cols = append(cols, c)
	}
	return cols
}
