package tenant

import (
	"strings"
	"time"
)

// Every entity type has two system fields, as the vendor's entities do:
// CreatedOn, when the row was created, and LastUpdatedOn, when it was last
// written (DateTime values; describeEntities reports them system and not
// updateable). The store keeps them: a create sets both from the tenant's
// clock, an update sets LastUpdatedOn. A writer cannot set them: a data API
// write naming one is a *ValueError, a row write a RowProblem of its row.
// They are dates like any other, indexed like any other, so a range on
// LastUpdatedOn is answered from the index ("changed since").
const (
	CreatedOnField     = "CreatedOn"
	LastUpdatedOnField = "LastUpdatedOn"
)

// DefaultSystemTime is CreatedOn and LastUpdatedOn of a fixture row that
// does not set them (LastUpdatedOn defaults to CreatedOn when only that is
// set).
var DefaultSystemTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// IsSystemField reports whether name (any case) is one of the fields the
// store maintains.
func IsSystemField(name string) bool {
	return strings.EqualFold(name, CreatedOnField) || strings.EqualFold(name, LastUpdatedOnField)
}

// systemFieldType is the type of both system fields.
var systemFieldType = FieldType{Kind: KindDate}

// stamp sets a slot's system fields to now: both when created is set,
// LastUpdatedOn alone otherwise. The caller holds t.mu.
func (tb *table) stamp(slot uint32, now time.Time, created bool) {
	u := now.Unix()
	if created {
		tb.cols[CreatedOnField].set(slot, u)
	}
	tb.cols[LastUpdatedOnField].set(slot, u)
}

// systemName returns the declared name of a system field written in any
// case.
func systemName(name string) (string, bool) {
	switch {
	case strings.EqualFold(name, CreatedOnField):
		return CreatedOnField, true
	case strings.EqualFold(name, LastUpdatedOnField):
		return LastUpdatedOnField, true
	}
	return "", false
}

// readOnlyMsg is the refusal of a write naming a system field.
func readOnlyMsg(name string) string {
	return name + " is a system field the server maintains; it cannot be written"
}
