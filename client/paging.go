package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// ErrPaging is wrapped by the error an iterator yields when the server's
// paging cannot be followed: it claims more results but returns none, or
// answers with the same page or cursor again. Iterators stop rather than loop.
var ErrPaging = errors.New("server paging does not advance")

func pagingError(api API, op, detail string) error {
	return &OperationError{API: api, Operation: op, Err: fmt.Errorf("%w: %s", ErrPaging, detail)}
}

// edit converts per-call editors to a generated package's editor type,
// dropping nil ones.
func edit[E ~func(context.Context, *http.Request) error](editors []RequestEditorFn) []E {
	out := make([]E, 0, len(editors))
	for _, e := range editors {
		if e != nil {
			out = append(out, E(e))
		}
	}
	return out
}

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }
