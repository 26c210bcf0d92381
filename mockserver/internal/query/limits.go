package query

import (
	"fmt"
	"unicode/utf8"
)

// Limits bound what one query may ask of the engine. The server reads them
// from its API spec and passes them with every parse; a zero field is the
// package default. The package-level parse functions use the defaults (for
// callers that set no limits, such as the engine's tests).
type Limits struct {
	// MaxDepth is how deep conditions may nest, the outermost counting as
	// 1: JSON conditions, parentheses and NOT in CZQL text, and the
	// objects of a row filter ({$or: [{F: {$gt: 1}}]} nests three).
	MaxDepth int
	// MaxConditions is the most comparisons one row filter may hold
	// ($between counts two).
	MaxConditions int
	// MaxListItems is the most values the $in, $nin and $between lists of
	// one row filter may hold together.
	MaxListItems int
	// MaxOrders is the most sort keys CZQL ORDER BY (and orders text) may
	// list.
	MaxOrders int
	// MaxText is the longest text literal of CZQL text, in characters.
	// (The text operands of JSON requests, condition values and
	// parameters, are bounded by their schema before they get here.)
	MaxText int
	// MaxList is the most values the constant list of In may hold: a
	// JSON constant list expression, and a CZQL IN (...) list with its
	// list parameters spread.
	MaxList int
}

// defaultMaxList is MaxList when none is set.
const defaultMaxList = 1000

func (l Limits) maxList() int {
	if l.MaxList <= 0 {
		return defaultMaxList
	}
	return l.MaxList
}

// checkList says what is wrong with an In list of n values ("" when it is
// within the limit).
func (l Limits) checkList(n int) string {
	if m := l.maxList(); n > m {
		return fmt.Sprintf("In lists %d values; the limit is %d", n, m)
	}
	return ""
}

// The limits when none is set.
const (
	defaultMaxDepth      = 64
	defaultMaxConditions = 1000
	defaultMaxListItems  = 10000
)

func (l Limits) maxConditions() int {
	if l.MaxConditions <= 0 {
		return defaultMaxConditions
	}
	return l.MaxConditions
}

func (l Limits) maxListItems() int {
	if l.MaxListItems <= 0 {
		return defaultMaxListItems
	}
	return l.MaxListItems
}

func (l Limits) maxDepth() int {
	if l.MaxDepth <= 0 {
		return defaultMaxDepth
	}
	return l.MaxDepth
}

// checkText says what is wrong with a text literal over MaxText ("" when it
// is within the limit).
func (l Limits) checkText(s string) string {
	if l.MaxText <= 0 || len(s) <= l.MaxText {
		return ""
	}
	if n := utf8.RuneCountInString(s); n > l.MaxText {
		return fmt.Sprintf("is %d characters long; the limit is %d", n, l.MaxText)
	}
	return ""
}
