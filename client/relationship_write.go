package client

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/client/relationshipapi"
)

// RowNotCommitted is the description of a row write error that only says
// the row was left out because another row of its batch failed (the batch
// is written all or none). The vendor's Python SDK recognises the same
// text.
const RowNotCommitted = "entry not committed (batch all-or-none)"

// RowFailure is one row of a batch write that the server refused for a
// reason of its own (not only because the batch was not committed).
type RowFailure struct {
	// Index is the row's position in the batch sent.
	Index int
	// EntryID is the row's EntryId as sent (a negative placeholder for a
	// new entry).
	EntryID int64
	// Errors are the row's errors as the server sent them.
	Errors []relationshipapi.RowError
}

// RowWriteError reports a batch write (CreateRows, UpsertRows, UpdateRows,
// DeleteRows) that the server answered 200 with per-row errors: nothing of
// the batch was written. Failed lists the rows at fault; NotCommitted counts
// the others, which were valid but left out (all or none). The method that
// returns it returns the per-row results too. Use errors.As to reach it.
type RowWriteError struct {
	API          API
	Operation    string
	Failed       []RowFailure
	NotCommitted int
}

// Error names the failed rows and why, e.g. "tenantkit: relationship
// createRows: 1 of 3 rows failed, nothing was written: row 1 (EntryId -2):
// Amount: 5001 "lots" is not a number".
func (e *RowWriteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tenantkit: %s %s: %d of %d rows failed, nothing was written", e.API, e.Operation,
		len(e.Failed), len(e.Failed)+e.NotCommitted)
	const maxNamed = 5
	for i, f := range e.Failed {
		if i == maxNamed {
			fmt.Fprintf(&b, "; and %d more", len(e.Failed)-maxNamed)
			break
		}
		sep := ": "
		if i > 0 {
			sep = "; "
		}
		fmt.Fprintf(&b, "%srow %d (EntryId %d):", sep, f.Index, f.EntryID)
		for j, re := range f.Errors {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte(' ')
			if re.Field != nil && *re.Field != "" {
				b.WriteString(*re.Field)
				b.WriteString(": ")
			}
			b.WriteString(strconv.Itoa(re.Code))
			b.WriteByte(' ')
			b.WriteString(redact(re.Description))
		}
	}
	return b.String()
}

// rowWriteError builds the error of a batch's per-row errors: nil when no
// row has any.
func rowWriteError(op string, ids []int64, errs [][]relationshipapi.RowError) error {
	e := &RowWriteError{API: RelationshipAPI, Operation: op}
	failed := false
	for i, list := range errs {
		if len(list) == 0 {
			continue
		}
		failed = true
		collateral := true
		for _, re := range list {
			collateral = collateral && re.Description == RowNotCommitted
		}
		if collateral {
			e.NotCommitted++
			continue
		}
		e.Failed = append(e.Failed, RowFailure{Index: i, EntryID: ids[i], Errors: list})
	}
	if !failed {
		return nil
	}
	return e
}

// rowResults checks a row write's answer: one result per row sent, and a
// *RowWriteError (with the results) when rows failed.
func rowResults(op string, rows []relationshipapi.Row, out []relationshipapi.RowWriteResult) ([]relationshipapi.RowWriteResult, error) {
	if len(out) != len(rows) {
		return out, &OperationError{API: RelationshipAPI, Operation: op,
			Err: fmt.Errorf("the server answered %d rows for a batch of %d", len(out), len(rows))}
	}
	ids := make([]int64, len(rows))
	errs := make([][]relationshipapi.RowError, len(rows))
	for i := range out {
		ids[i] = rows[i].EntryId
		if out[i].Errors != nil {
			errs[i] = *out[i].Errors
		}
	}
	return out, rowWriteError(op, ids, errs)
}

// CreateRows creates entries of entryType (api name or numeric id): each
// row's EntryId is a negative placeholder (the same one may repeat; one
// used as a reference value in the batch links to the entry created for
// it), its other members field values by name (choices and references by
// id). At most 1000 rows per call (the server refuses more). The results
// hold each new entry's EntryId and the fields as written, in the order
// sent. When rows fail, nothing is written and the error is a
// *RowWriteError, returned with the results. AS-USER: the AsUser option.
// The call writes: send an IdempotencyKey for it to be retried safely.
func (s *RelationshipService) CreateRows(ctx context.Context, entryType string, rows []relationshipapi.Row, opts ...CallOption) ([]relationshipapi.RowWriteResult, error) {
	out, err := sendJSON[relationshipapi.RowWriteResultList](ctx, RelationshipAPI, "createRows", opts, func(ctx context.Context) (*relationshipapi.CreateRowsResponse, error) {
		return s.api.CreateRowsWithResponse(ctx, entryType, nil, rows)
	})
	if err != nil {
		return nil, err
	}
	return rowResults("createRows", rows, *out)
}

// UpsertRows creates the rows with a negative EntryId and updates those
// with a positive one (PUT), otherwise as CreateRows. It needs the edit
// permission, and the create permission as well when it creates.
func (s *RelationshipService) UpsertRows(ctx context.Context, entryType string, rows []relationshipapi.Row, opts ...CallOption) ([]relationshipapi.RowWriteResult, error) {
	out, err := sendJSON[relationshipapi.RowWriteResultList](ctx, RelationshipAPI, "upsertRows", opts, func(ctx context.Context) (*relationshipapi.UpsertRowsResponse, error) {
		return s.api.UpsertRowsWithResponse(ctx, entryType, nil, rows)
	})
	if err != nil {
		return nil, err
	}
	return rowResults("upsertRows", rows, *out)
}

// UpdateRows updates existing entries (PATCH, a strict update): every
// EntryId must name an entry the caller can see. When none does, the call
// fails with a *NotFoundError; when some do not, with a *RowWriteError.
func (s *RelationshipService) UpdateRows(ctx context.Context, entryType string, rows []relationshipapi.Row, opts ...CallOption) ([]relationshipapi.RowWriteResult, error) {
	out, err := sendJSON[relationshipapi.RowWriteResultList](ctx, RelationshipAPI, "updateRows", opts, func(ctx context.Context) (*relationshipapi.UpdateRowsResponse, error) {
		return s.api.UpdateRowsWithResponse(ctx, entryType, nil, rows)
	})
	if err != nil {
		return nil, err
	}
	return rowResults("updateRows", rows, *out)
}

// DeleteRows deletes entries of entryType by id (DELETE
// /data/entrydata/{entryType} with the ids as its body; at most 10000 per
// call). All or none, as UpdateRows: an id that names no entry the caller
// can see is a *RowWriteError (with the results), or a *NotFoundError
// when no id does.
func (s *RelationshipService) DeleteRows(ctx context.Context, entryType string, ids []int64, opts ...CallOption) ([]relationshipapi.DeletedEntry, error) {
	out, err := sendJSON[relationshipapi.DeletedEntryList](ctx, RelationshipAPI, "deleteRows", opts, func(ctx context.Context) (*relationshipapi.DeleteRowsResponse, error) {
		return s.api.DeleteRowsWithResponse(ctx, entryType, nil, ids)
	})
	if err != nil {
		return nil, err
	}
	if len(*out) != len(ids) {
		return *out, &OperationError{API: RelationshipAPI, Operation: "deleteRows",
			Err: fmt.Errorf("the server answered %d entries for %d ids", len(*out), len(ids))}
	}
	errs := make([][]relationshipapi.RowError, len(ids))
	for i, d := range *out {
		if d.Errors != nil {
			errs[i] = *d.Errors
		}
	}
	return *out, rowWriteError("deleteRows", ids, errs)
}
