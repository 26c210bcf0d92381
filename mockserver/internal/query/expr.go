// Package query evaluates the mock's query languages against in-memory rows:
// the data API's `_type`-tagged where condition, a CZQL subset
// (SELECT ... FROM ... WHERE ... ORDER BY ... LIMIT ...), and the
// relationship API's row filter (`{Field: {$gt: 1}}`, see ParseFilter).
//
// The evaluator is deliberately small: it is kept apart from the server so a
// fuller engine can replace it without touching the handlers.
package query

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Record is one row as the evaluator sees it. Get returns the field's value
// (string, float64, bool or nil; references as their id string) and whether
// the field exists.
type Record interface {
	Get(field string) (any, bool)
}

// Expr is a compiled condition.
type Expr interface {
	// Eval reports whether r satisfies the condition.
	Eval(r Record) bool
	// walk calls fn for each field the condition reads.
	walk(fn func(field string))
}

// Operators of compare conditions (the vendor's twelve).
const (
	OpEqual              = "Equal"
	OpNotEqual           = "NotEqual"
	OpLessThan           = "LessThan"
	OpGreaterThan        = "GreaterThan"
	OpLessThanOrEqual    = "LessThanOrEqual"
	OpGreaterThanOrEqual = "GreaterThanOrEqual"
	OpBeginsWith         = "BeginsWith"
	OpEndsWith           = "EndsWith"
	OpContains           = "Contains"
	OpDoesNotContain     = "DoesNotContain"
	OpIn                 = "In"
	OpLike               = "Like"
)

var operators = map[string]bool{
	OpEqual: true, OpNotEqual: true, OpLessThan: true, OpGreaterThan: true, OpLessThanOrEqual: true,
	OpGreaterThanOrEqual: true, OpBeginsWith: true, OpEndsWith: true, OpContains: true,
	OpDoesNotContain: true, OpIn: true, OpLike: true,
}

// Compare tests one field against a constant, a list of constants (In) or
// another field of the same row (RightField).
type Compare struct {
	Field string
	Op    string
	Value any   // for every operator but In
	List  []any // for In
	// RightField, when set, names the field compared with (a
	// fieldExpression on the right, or a field name in CZQL).
	RightField string
	// Pos is the 1-based position of the condition in CZQL text (0 when
	// it came from JSON); Path is its JSON path (where.and[1]) when it came
	// from JSON. Both locate errors found after parsing.
	Pos  int
	Path string
}

// Where locates the condition for error messages.
func (c *Compare) Where() Location { return Location{Path: c.Path, Pos: c.Pos} }

// Location is where in a request a part of a query was written: a JSON path,
// a 1-based position in CZQL text, or both (CZQL inside a JSON condition).
type Location struct {
	Path string
	Pos  int
}

// Errorf returns an *Error at the location.
func (l Location) Errorf(format string, args ...any) *Error {
	return &Error{Path: l.Path, Pos: l.Pos, Msg: fmt.Sprintf(format, args...)}
}

// And holds when every condition holds (and when it is empty).
type And []Expr

// Or holds when any condition holds.
type Or []Expr

// Not negates a condition.
type Not struct{ X Expr }

// True matches every row.
type True struct{}

// Eval implements Expr.
func (True) Eval(Record) bool  { return true }
func (True) walk(func(string)) {}

// Eval implements Expr.
func (a And) Eval(r Record) bool {
	for _, x := range a {
		if !x.Eval(r) {
			return false
		}
	}
	return true
}

func (a And) walk(fn func(string)) {
	for _, x := range a {
		x.walk(fn)
	}
}

// Eval implements Expr.
func (o Or) Eval(r Record) bool {
	for _, x := range o {
		if x.Eval(r) {
			return true
		}
	}
	return false
}

func (o Or) walk(fn func(string)) {
	for _, x := range o {
		x.walk(fn)
	}
}

// Eval implements Expr.
func (n Not) Eval(r Record) bool   { return !n.X.Eval(r) }
func (n Not) walk(fn func(string)) { n.X.walk(fn) }

func (c *Compare) walk(fn func(string)) {
	fn(c.Field)
	if c.RightField != "" {
		fn(c.RightField)
	}
}

// Eval implements Expr. It compares loosely (numbers with numeric text, dates
// as text); the mock's typed engine lives in package tenant.
func (c *Compare) Eval(r Record) bool {
	v, _ := r.Get(c.Field)
	if c.RightField != "" {
		rv, _ := r.Get(c.RightField)
		d := *c
		d.RightField, d.Value = "", rv
		return d.Eval(r)
	}
	switch c.Op {
	case OpEqual:
		return equal(v, c.Value)
	case OpNotEqual:
		return !equal(v, c.Value)
	case OpLessThan, OpGreaterThan, OpLessThanOrEqual, OpGreaterThanOrEqual:
		if v == nil || c.Value == nil {
			return false
		}
		n, ok := compareValues(v, c.Value)
		if !ok {
			return false
		}
		switch c.Op {
		case OpLessThan:
			return n < 0
		case OpGreaterThan:
			return n > 0
		case OpLessThanOrEqual:
			return n <= 0
		default:
			return n >= 0
		}
	case OpBeginsWith:
		return v != nil && strings.HasPrefix(lowerText(v), lowerText(c.Value))
	case OpEndsWith:
		return v != nil && strings.HasSuffix(lowerText(v), lowerText(c.Value))
	case OpContains:
		return v != nil && strings.Contains(lowerText(v), lowerText(c.Value))
	case OpDoesNotContain:
		return v == nil || !strings.Contains(lowerText(v), lowerText(c.Value))
	case OpIn:
		for _, x := range c.List {
			if equal(v, x) {
				return true
			}
		}
		return false
	case OpLike:
		return v != nil && like(lowerText(v), lowerText(c.Value))
	}
	return false
}

// Fields lists the fields a condition reads, in order of appearance.
func Fields(e Expr) []string {
	var out []string
	if e != nil {
		e.walk(func(f string) { out = append(out, f) })
	}
	return out
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

func lowerText(v any) string { return strings.ToLower(text(v)) }

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}

func equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	n, ok := compareValues(a, b)
	return ok && n == 0
}

// compareValues orders two non-nil values: numerically when both are
// numbers (or one is a number and the other numeric text), as booleans, or
// as case-insensitive text (which orders RFC 3339 dates correctly).
func compareValues(a, b any) (int, bool) {
	_, an := a.(float64)
	_, bn := b.(float64)
	if an || bn {
		x, ok1 := number(a)
		y, ok2 := number(b)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	ab, aIsBool := a.(bool)
	bb, bIsBool := b.(bool)
	if aIsBool || bIsBool {
		if !aIsBool || !bIsBool {
			if s, ok := b.(string); ok && aIsBool {
				return boolText(ab, s)
			}
			if s, ok := a.(string); ok && bIsBool {
				n, ok := boolText(bb, s)
				return -n, ok
			}
			return 0, false
		}
		switch {
		case ab == bb:
			return 0, true
		case !ab:
			return -1, true
		}
		return 1, true
	}
	return strings.Compare(lowerText(a), lowerText(b)), true
}

func boolText(b bool, s string) (int, bool) {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return 0, false
	}
	if v == b {
		return 0, true
	}
	if !b {
		return -1, true
	}
	return 1, true
}

// Like matches SQL LIKE patterns, case-sensitively: % is any run of
// characters, _ is exactly one. To test many values against one pattern,
// compile it once with CompileLike.
func Like(s, pattern string) bool { return CompileLike(pattern).Match(s) }

func like(s, pattern string) bool { return Like(s, pattern) }

// Pattern is a compiled LIKE pattern.
type Pattern struct {
	p   []rune // the pattern, each run of % collapsed to one
	min int    // the characters a match needs: every rune but %
	// segs, when the pattern has no _, are its literal parts between the
	// %s: the first anchored at the start unless the pattern starts with
	// %, the last at the end unless it ends with %.
	segs               []string
	noUnderscore       bool
	openStart, openEnd bool
}

// CompileLike compiles a LIKE pattern. Runs of % match what one % matches,
// so they are collapsed: the cost of a match then grows with the text, not
// with the number of wildcards. A pattern without _ is matched segment by
// segment with substring search.
func CompileLike(pattern string) *Pattern {
	out := &Pattern{p: make([]rune, 0, len(pattern)), noUnderscore: !strings.ContainsRune(pattern, '_')}
	for _, r := range pattern {
		if r == '%' {
			if n := len(out.p); n > 0 && out.p[n-1] == '%' {
				continue
			}
		} else {
			out.min++
		}
		out.p = append(out.p, r)
	}
	if out.noUnderscore {
		collapsed := string(out.p)
		out.openStart = strings.HasPrefix(collapsed, "%")
		out.openEnd = strings.HasSuffix(collapsed, "%")
		out.segs = strings.Split(collapsed, "%")
	}
	return out
}

// Match reports whether s matches the pattern.
func (p *Pattern) Match(s string) bool {
	if len(s) < p.min || len(s) < p.min*utf8.UTFMax && utf8.RuneCountInString(s) < p.min { // every rune but % takes one character
		return false
	}
	if p.noUnderscore {
		return p.matchSegments(s)
	}
	pr := p.p
	// Iterative wildcard match with backtracking on the last %.
	si, pi, star, mark := 0, 0, -1, 0
	for si < len(s) {
		r, n := utf8.DecodeRuneInString(s[si:])
		switch {
		case pi < len(pr) && pr[pi] == '%': // before the literal case: a % in the text is still matched by the wildcard
			star, mark = pi, si
			pi++
		case pi < len(pr) && (pr[pi] == '_' || pr[pi] == r):
			si += n
			pi++
		case star >= 0:
			pi = star + 1
			_, m := utf8.DecodeRuneInString(s[mark:])
			mark += m
			si = mark
		default:
			return false
		}
	}
	for pi < len(pr) && pr[pi] == '%' {
		pi++
	}
	return pi == len(pr)
}

// matchSegments matches a pattern of literals and %: the first literal is
// a prefix (unless the pattern starts with %), the last a suffix (unless it
// ends with %), and the ones between are found leftmost first, which
// leaves the most room for the rest.
func (p *Pattern) matchSegments(s string) bool {
	segs := p.segs
	if len(segs) == 1 { // no %: the whole text
		return s == segs[0]
	}
	first, last := segs[0], segs[len(segs)-1]
	if !strings.HasPrefix(s, first) {
		return false
	}
	s = s[len(first):]
	if len(s) < len(last) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[:len(s)-len(last)]
	for _, seg := range segs[1 : len(segs)-1] {
		i := strings.Index(s, seg)
		if i < 0 {
			return false
		}
		s = s[i+len(seg):]
	}
	return true
}
