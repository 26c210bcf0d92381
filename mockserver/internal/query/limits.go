package query

import (
	"fmt"
	"sync/atomic"
	"unicode/utf8"
)

// Limits bound what one query may ask of the engine. The server sets them
// from its API spec (SetLimits); a zero field is the package default.
type Limits struct {
	// MaxDepth is how deep conditions may nest, the outermost counting as
	// 1: JSON conditions, and parentheses and NOT in CZQL text.
	MaxDepth int
	// MaxOrders is the most sort keys CZQL ORDER BY (and orders text) may
	// list.
	MaxOrders int
	// MaxText is the longest text operand, in characters: a CZQL string or
	// a parameter's text, or a JSON condition's value.
	MaxText int
}

// Package defaults, for callers that set no limits (the engine's tests).
const (
	defaultMaxDepth = 64
)

var limits atomic.Pointer[Limits]

// SetLimits replaces the limits for every later parse.
func SetLimits(l Limits) { limits.Store(&l) }

// CurrentLimits returns the limits in force, defaults filled in.
func CurrentLimits() Limits {
	var l Limits
	if p := limits.Load(); p != nil {
		l = *p
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = defaultMaxDepth
	}
	return l
}

// checkText says what is wrong with a text operand over MaxText ("" when
// it is not text or within the limit).
func checkText(v any) string {
	s, ok := v.(string)
	l := CurrentLimits()
	if !ok || l.MaxText <= 0 || len(s) <= l.MaxText {
		return ""
	}
	if n := utf8.RuneCountInString(s); n > l.MaxText {
		return fmt.Sprintf("is %d characters long; the limit is %d", n, l.MaxText)
	}
	return ""
}
