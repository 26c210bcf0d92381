package client

import (
	"errors"
	"fmt"
)

// ErrPaging is wrapped by the error an iterator yields when the server's
// paging cannot be followed: it claims more results but returns none, or
// answers with the same page or cursor again. Iterators stop rather than loop.
var ErrPaging = errors.New("server paging does not advance")

// IncompleteError is what an iterator yields when a page request fails after
// earlier pages were read: it says how far the iteration got and which page
// failed, so a caller can report progress or resume there. Unwrap gives the
// failure itself (an *APIError or one of its types, an *OperationError
// wrapping context.DeadlineExceeded, ...), so errors.As and errors.Is see
// through it. A failure of the first page is yielded unwrapped.
type IncompleteError struct {
	API       API
	Operation string
	// Items is how many items the iterator yielded before the failure.
	Items int
	// Pages is how many pages it had read.
	Pages int
	// Next names the page that failed the way the API pages:
	// "paging.from=140", "skip=200", "pageNumber=3" or "after=<cursor>".
	Next string
	Err  error
}

// Error returns the failure's message followed by the progress, e.g.
// "tenantkit: data entityQuery: context deadline exceeded (after 140 items
// in 20 pages; next page paging.from=140)".
func (e *IncompleteError) Error() string {
	return fmt.Sprintf("%s (after %d items in %d pages; next page %s)", e.Err.Error(), e.Items, e.Pages, e.Next)
}

// Unwrap returns the failure.
func (e *IncompleteError) Unwrap() error { return e.Err }

// progress counts what an iterator has read, for IncompleteError.
type progress struct {
	api          API
	op           string
	items, pages int
}

// failed wraps err in an *IncompleteError once at least one page was read.
func (p *progress) failed(err error, next string) error {
	if p.pages == 0 {
		return err
	}
	return &IncompleteError{API: p.api, Operation: p.op, Items: p.items, Pages: p.pages, Next: next, Err: err}
}

// yieldAll yields a page's items, counting them, and reports whether the
// loop body wants more.
func yieldAll[T any](p *progress, items []T, yield func(T, error) bool) bool {
	for _, it := range items {
		p.items++
		if !yield(it, nil) {
			return false
		}
	}
	return true
}

func pagingError(api API, op, detail string) error {
	return &OperationError{API: api, Operation: op, Err: fmt.Errorf("%w: %s", ErrPaging, detail)}
}

// Ptr returns a pointer to a copy of v, for the optional fields of the
// generated models: dataapi.Paging{Limit: client.Ptr(50)}.
func Ptr[T any](v T) *T { return &v }

func ptr[T any](v T) *T { return &v }
