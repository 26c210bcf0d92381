package tenant

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Row write error codes: the per-row errors of the relationship API's
// batch writes. The vendor documents 5006 only; the others are the mock's
// (openapi/relationship.yaml, RowWriteResult).
const (
	RowCodeNotCommitted  = 5000 // the row is valid, but the batch was not written
	RowCodeInvalidValue  = 5001 // the value is not valid for the field's type
	RowCodeInvalidChoice = 5002 // not a choice of the field
	RowCodeMustBeNew     = 5003 // createRows: the EntryId must be negative
	RowCodeNotFound      = 5004 // no entry with that id that the user can see
	RowCodeInvalidRef    = 5006 // the vendor's "One or more referenced entries are not valid for this field."
	RowCodeDuplicate     = 5008 // the id is repeated in an update or delete batch
)

// RowNotCommitted is the description of a valid row of a batch that was
// not written because another row failed: the text the vendor's Python
// SDK recognises for entries left out by a batch.
const RowNotCommitted = "entry not committed (batch all-or-none)"

// rowInvalidRef is the vendor's description of error 5006.
const rowInvalidRef = "One or more referenced entries are not valid for this field."

// RowWriteMode is what a batch write may do with each row's EntryId.
type RowWriteMode int

const (
	// RowsCreate creates every row: each EntryId must be negative.
	RowsCreate RowWriteMode = iota
	// RowsUpsert creates rows with a negative EntryId and updates the others.
	RowsUpsert
	// RowsUpdate updates rows: each EntryId must name an existing row.
	RowsUpdate
)

// RowInput is one row of a batch write: its EntryId and its values by
// field name as sent (JSON-decoded; names are matched ignoring case).
type RowInput struct {
	EntryID int64
	Values  map[string]any
}

// RowProblem is one error of a row of a batch write.
type RowProblem struct {
	Field string // canonical field name; "" for the row itself
	Code  int
	Msg   string
}

// RowValue is one field of a row as written: its canonical name and the
// value echoed (as sent; a placeholder reference as the new entry's id).
type RowValue struct {
	Name  string
	Value any
}

// RowResult is the outcome of one row of a batch write.
type RowResult struct {
	// EntryID is the row's id: the new id of a created row, else the id
	// sent.
	EntryID int64
	Created bool
	// Values are the row's fields, by canonical name in name order.
	Values []RowValue
	// Problems are the row's errors; a row without any of its own in a
	// batch that failed carries RowCodeNotCommitted.
	Problems []RowProblem
	// Hidden is set when the row's EntryId names a row that exists but
	// that the user may not see (RowCodeNotFound all the same). It is for
	// the audit log only: nothing the caller reads may tell it apart.
	Hidden bool
}

// BatchResult is the outcome of a batch write.
type BatchResult struct {
	Rows []RowResult
	// Committed is set when the batch was written (no row failed).
	Committed bool
}

// rowPlan is one row of a batch being checked: where it goes and what it
// stores.
type rowPlan struct {
	slot   uint32 // the existing row's slot (updates)
	fields map[string]any
	owner  int64
	// refs are the placeholder references to resolve once the batch's
	// new ids are known: field name → placeholder.
	refs map[string]int64
}

// WriteRows writes a batch of rows of one entry type for user, all or
// none, under one lock: a concurrent reader sees the tenant before or
// after the whole batch. mode says what each EntryId may be. A negative
// EntryId creates a row owned by user (unless Owner is written); a
// positive one updates a row row-level sharing shows user, even under
// apiDataAccess: bypass (as UpdateEntity). A reference value may be a
// negative placeholder of the batch, which links to the row created for
// it. The whole batch is refused with a *ValueError (Field the key as
// sent) when a row names a field the type does not have, and with
// ErrNotFound when the type does not exist; any other failure is a
// RowProblem of its row, and then nothing is written.
func (t *Tenant) WriteRows(typeName string, user int64, mode RowWriteMode, rows []RowInput) (BatchResult, error) {
	t.lock()
	defer t.mu.Unlock()
	et, ok := t.resolveType(typeName)
	if !ok {
		return BatchResult{}, fmt.Errorf("entity type %q: %w", typeName, ErrNotFound)
	}
	// Field names first: an unknown one refuses the whole request.
	for _, r := range rows {
		for _, k := range slices.Sorted(maps.Keys(r.Values)) {
			if _, _, ok := fieldOf(et, k); !ok {
				return BatchResult{}, &ValueError{Field: k, Msg: fmt.Sprintf("Field with name %q does not exist", k)}
			}
		}
	}
	tb := t.tables[et.Name]
	schema := map[string]*SchemaField{}
	for i := range et.Schema {
		schema[et.Schema[i].Name] = &et.Schema[i]
	}
	// Placeholders and how often each is used, for references to them.
	placeholders := map[int64]int{}
	for _, r := range rows {
		if r.EntryID < 0 && mode != RowsUpdate {
			placeholders[r.EntryID]++
		}
	}
	out := BatchResult{Rows: make([]RowResult, len(rows))}
	plans := make([]rowPlan, len(rows))
	seen := map[int64]bool{}
	failed := false
	for i, r := range rows {
		res := &out.Rows[i]
		res.EntryID = r.EntryID
		plan := &plans[i]
		plan.fields = map[string]any{}
		switch {
		case r.EntryID < 0 && mode != RowsUpdate:
			res.Created = true
		case mode == RowsCreate:
			res.Problems = append(res.Problems, RowProblem{Code: RowCodeMustBeNew,
				Msg: fmt.Sprintf("EntryId %d is not negative: a new entry takes a negative placeholder id (update with PUT)", r.EntryID)})
		case seen[r.EntryID]:
			res.Problems = append(res.Problems, RowProblem{Code: RowCodeDuplicate,
				Msg: fmt.Sprintf("EntryId %d appears more than once in the batch", r.EntryID)})
		default:
			seen[r.EntryID] = true
			_, slot, err := t.lookup(et.Name, r.EntryID, user, true)
			if err != nil {
				res.Hidden = errors.Is(err, ErrHidden)
				res.Problems = append(res.Problems, RowProblem{Code: RowCodeNotFound,
					Msg: fmt.Sprintf("No entry with EntryId %d exists that the user can see", r.EntryID)})
			}
			plan.slot = slot
		}
		for _, k := range slices.Sorted(maps.Keys(r.Values)) {
			name, ft, _ := fieldOf(et, k)
			v := r.Values[k]
			res.Values = append(res.Values, RowValue{Name: name, Value: v})
			if IsSystemField(name) {
				res.Problems = append(res.Problems, RowProblem{Field: name, Code: RowCodeInvalidValue, Msg: readOnlyMsg(name)})
				continue
			}
			cv, placeholder, prob := t.rowValue(et, schema[name], ft, v, user, placeholders)
			if prob != nil {
				prob.Field = name
				res.Problems = append(res.Problems, *prob)
				continue
			}
			switch {
			case placeholder != 0:
				if plan.refs == nil {
					plan.refs = map[string]int64{}
				}
				plan.refs[name] = placeholder
			case name == OwnerField:
				r, ok := cv.(Ref)
				if !ok {
					res.Problems = append(res.Problems, RowProblem{Field: name, Code: RowCodeInvalidValue, Msg: "the owner cannot be empty"})
					continue
				}
				plan.owner = r.ID
			default:
				plan.fields[name] = cv
			}
		}
		slices.SortStableFunc(res.Values, func(a, b RowValue) int { return strings.Compare(a.Name, b.Name) })
		failed = failed || len(res.Problems) > 0
	}
	if failed {
		for i := range out.Rows {
			if len(out.Rows[i].Problems) == 0 {
				out.Rows[i].Problems = []RowProblem{{Code: RowCodeNotCommitted, Msg: RowNotCommitted}}
			}
		}
		return out, nil
	}
	// Apply: new ids first, so that placeholder references resolve.
	newID := map[int64]int64{}
	next := tb.next
	for i := range rows {
		if out.Rows[i].Created {
			out.Rows[i].EntryID = next
			if _, ok := newID[rows[i].EntryID]; !ok {
				newID[rows[i].EntryID] = next
			}
			next++
		}
	}
	now := t.now()
	for i := range rows {
		res, plan := &out.Rows[i], &plans[i]
		for name, ph := range plan.refs {
			id := newID[ph] // Owner refers to users, never to a placeholder
			plan.fields[name] = Ref{Type: et.Name, ID: id}
			for j := range res.Values {
				if res.Values[j].Name == name {
					res.Values[j].Value = id
				}
			}
		}
		if res.Created {
			owner := user
			if plan.owner != 0 {
				owner = plan.owner
			}
			plan.fields[CreatedOnField], plan.fields[LastUpdatedOnField] = now.Unix(), now.Unix()
			tb.insert(res.EntryID, owner, plan.fields, nil, nil)
			continue
		}
		for k, v := range plan.fields {
			tb.cols[k].set(plan.slot, v)
		}
		if plan.owner != 0 {
			tb.owner.set(plan.slot, plan.owner)
		}
		tb.stamp(plan.slot, now, false)
	}
	out.Committed = true
	return out, nil
}

// rowValue checks one written value against its field, for user: the
// stored form, or a placeholder of the batch (a negative reference id), or
// the row's problem. placeholders counts the batch's placeholders. The
// caller holds t.mu.
func (t *Tenant) rowValue(et *EntityType, sf *SchemaField, ft FieldType, v any, user int64, placeholders map[int64]int) (any, int64, *RowProblem) {
	if v == nil {
		return nil, 0, nil
	}
	invalid := func(format string, args ...any) (any, int64, *RowProblem) {
		return nil, 0, &RowProblem{Code: RowCodeInvalidValue, Msg: fmt.Sprintf(format, args...)}
	}
	switch ft.Kind {
	case KindString:
		if sf != nil && len(sf.Choices) > 0 {
			return choiceValue(sf, v)
		}
		if s, ok := v.(string); ok {
			return s, 0, nil
		}
		return invalid("%s is not text", describeWritten(v))
	case KindNumber, KindBool, KindDate:
		cv, err := convertValue(ft, v)
		if err != nil {
			return invalid("%s is not a %s", describeWritten(v), ft.Kind)
		}
		return cv, 0, nil
	}
	// A reference: the referenced entry's (or user's) id, or {id: n}.
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		if id, ok := m["id"]; ok {
			v = id
		}
	}
	n, ok := v.(float64)
	if !ok || n != math.Trunc(n) || n == 0 || math.Abs(n) > 1<<53 {
		return invalid("%s is not an id: a reference is written as the referenced entry's id", describeWritten(v))
	}
	id := int64(n)
	badRef := &RowProblem{Code: RowCodeInvalidRef, Msg: rowInvalidRef}
	if id < 0 {
		// A placeholder links to the row created for it in this batch,
		// which is of this entry type.
		if !strings.EqualFold(ft.RefType, et.Name) || placeholders[id] != 1 {
			return nil, 0, badRef
		}
		return nil, id, nil
	}
	r := Ref{Type: ft.RefType, ID: id}
	if !t.refReadable(r, user) {
		return nil, 0, badRef
	}
	return r, 0, nil
}

// choiceValue reads a choice: the choice value's id (the field id × 100 +
// its position, as the schema lists it) or its name, ignoring case. The
// row stores the name.
func choiceValue(sf *SchemaField, v any) (any, int64, *RowProblem) {
	switch x := v.(type) {
	case float64:
		for i, c := range sf.Choices {
			if float64(sf.ChoiceID(i+1)) == x {
				return c, 0, nil
			}
		}
	case string:
		for _, c := range sf.Choices {
			if strings.EqualFold(c, x) {
				return c, 0, nil
			}
		}
	}
	return nil, 0, &RowProblem{Code: RowCodeInvalidChoice,
		Msg: fmt.Sprintf("%s is not a choice of this field (give a choice value's id from the field's choiceValues)", describeWritten(v))}
}

// describeWritten renders a written value for an error message: short, and only
// what the caller sent.
func describeWritten(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return fmt.Sprintf("%q", x)
	case float64, bool:
		return fmt.Sprint(x)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}

// DeleteRows deletes a batch of rows of one entry type for user, all or
// none, under one lock. Each id must name a row row-level sharing shows
// user (even under apiDataAccess: bypass, as DeleteEntity); an id repeated
// in the batch is an error of its second use. When any id fails, nothing
// is deleted and every other row carries RowCodeNotCommitted. Errors:
// ErrNotFound for an unknown type.
func (t *Tenant) DeleteRows(typeName string, user int64, ids []int64) (BatchResult, error) {
	t.lock()
	defer t.mu.Unlock()
	et, ok := t.resolveType(typeName)
	if !ok {
		return BatchResult{}, fmt.Errorf("entity type %q: %w", typeName, ErrNotFound)
	}
	tb := t.tables[et.Name]
	out := BatchResult{Rows: make([]RowResult, len(ids))}
	slots := make([]uint32, len(ids))
	seen := make(map[int64]bool, len(ids))
	failed := false
	for i, id := range ids {
		res := &out.Rows[i]
		res.EntryID = id
		switch {
		case seen[id]:
			res.Problems = []RowProblem{{Code: RowCodeDuplicate, Msg: fmt.Sprintf("EntryId %d appears more than once in the batch", id)}}
		default:
			seen[id] = true
			_, slot, err := t.lookup(et.Name, id, user, true)
			if err != nil {
				res.Hidden = errors.Is(err, ErrHidden)
				res.Problems = []RowProblem{{Code: RowCodeNotFound, Msg: fmt.Sprintf("No entry with EntryId %d exists that the user can see", id)}}
			}
			slots[i] = slot
		}
		failed = failed || len(res.Problems) > 0
	}
	if failed {
		for i := range out.Rows {
			if len(out.Rows[i].Problems) == 0 {
				out.Rows[i].Problems = []RowProblem{{Code: RowCodeNotCommitted, Msg: RowNotCommitted}}
			}
		}
		return out, nil
	}
	for _, slot := range slots {
		tb.remove(slot)
	}
	if tb.needsCompaction() {
		t.tables[tb.et.Name] = tb.compacted(t.groupOrder)
	}
	out.Committed = true
	return out, nil
}
