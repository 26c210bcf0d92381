package pipeline

import (
	"errors"
	"fmt"
	"math"

	"github.com/tenantkit/tenantkit/mockserver/internal/query"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Helpers the per-API handlers share: paging, the query engine's and the
// tenant's errors.

// window returns rows[skip:skip+n] clamped (n <= 0: to the end).
func Window[T any](rows []T, skip, n int) []T {
	if skip < 0 || skip >= len(rows) {
		return rows[:0]
	}
	rows = rows[skip:]
	if n > 0 && n < len(rows) {
		rows = rows[:n]
	}
	return rows
}

// PageSkip is how many rows page number (1-based) of size rows skips; a
// page beyond any possible row skips them all instead of overflowing.
func PageSkip(number, size int) int {
	if number <= 1 || size <= 0 {
		return 0
	}
	if number-1 > math.MaxInt32/size {
		return math.MaxInt
	}
	return (number - 1) * size
}

// QueryError reports a query error as a 400 naming the field (and, for
// CZQL text, the position). Errors that are not the client's are returned
// as they are.
func QueryError(field string, err error) error {
	var qe *query.Error
	if errors.As(err, &qe) {
		msg := qe.Msg
		if qe.Pos > 0 {
			msg = fmt.Sprintf("at position %d: %s", qe.Pos, qe.Msg)
		}
		if qe.Path != "" {
			field = qe.Path
		}
		return BadRequest(field, "%s", msg)
	}
	var se *query.SyntaxError
	if errors.As(err, &se) {
		return BadRequest(field, "%s", se.Error())
	}
	if errors.Is(err, tenant.ErrNotFound) {
		return BadRequest("typeName", "%v", err)
	}
	return err
}

// TenantError is the answer to a tenant's refusal of a change: a value it
// refuses is a 400 naming the field, a row or credential that does not
// exist a 404; any other error is returned as it is.
func TenantError(err error) error {
	var ve *tenant.ValueError
	switch {
	case errors.As(err, &ve):
		return BadRequest(ve.Field, "%s", ve.Msg)
	case errors.Is(err, tenant.ErrNotFound):
		return NotFound("%v", err)
	}
	return err
}
