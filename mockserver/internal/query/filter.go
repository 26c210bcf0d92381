package query

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
)

// The relationship API's row filter is the vendor's filter-operations table
// on relaxed JSON text:
//
//	{Field: value}                       equality, like {Field: {$eq: value}}
//	{Field: {$gt: 1, $lt: 5}}            several operators of a field: all hold
//	{A: 1, B: {$in: [1, 2]}}             several keys of an object: all hold
//	{$or: [{A: 1}, {B: 2}]}              any of the filters holds
//	{$and: [{A: 1}, {B: 2}]}             every one holds
//
// Keys and operators may be written without quotes; strings are "..." or
// '...' with JSON's escapes; values are strings, numbers, true, false and
// null. Field names are taken as written here (the caller resolves them
// against the entry type, case-insensitively). Positions in errors are
// 1-based character positions in the text.

// FilterOperator is one operator of the row filter.
type FilterOperator struct {
	// Name is the operator as written in a filter ($eq).
	Name string
	// Op is the Compare operator it builds ("" for $between, which builds
	// GreaterThanOrEqual and LessThanOrEqual, $nin, which builds Not In, and
	// $or and $and).
	Op string
	// Operand describes what it takes, for errors.
	Operand string
}

// filterOperators is the filter's operator table, in the vendor's order.
var filterOperators = []FilterOperator{
	{Name: "$eq", Op: OpEqual, Operand: "a value"},
	{Name: "$contains", Op: OpContains, Operand: "text"},
	{Name: "$gt", Op: OpGreaterThan, Operand: "a value"},
	{Name: "$gte", Op: OpGreaterThanOrEqual, Operand: "a value"},
	{Name: "$lt", Op: OpLessThan, Operand: "a value"},
	{Name: "$lte", Op: OpLessThanOrEqual, Operand: "a value"},
	{Name: "$startswith", Op: OpBeginsWith, Operand: "text"},
	{Name: "$in", Op: OpIn, Operand: "a list of values"},
	{Name: "$between", Operand: "a list of two values [low, high]"},
	{Name: "$nin", Operand: "a list of values"},
	{Name: "$not", Op: OpNotEqual, Operand: "a value"},
	{Name: "$endswith", Op: OpEndsWith, Operand: "text"},
	{Name: "$or", Operand: "a list of filters"},
	{Name: "$and", Operand: "a list of filters"},
}

// FilterOperators lists the row filter's operators, in the vendor's
// order. The caller may not change them.
func FilterOperators() []FilterOperator { return filterOperators }

func filterOperator(name string) (FilterOperator, bool) {
	for _, o := range filterOperators {
		if o.Name == name {
			return o, true
		}
	}
	return FilterOperator{}, false
}

// supportedOperators is the list of operator names, for errors.
func supportedOperators() string {
	names := make([]string, len(filterOperators))
	for i, o := range filterOperators {
		names[i] = o.Name
	}
	return strings.Join(names, ", ")
}

// ParseFilter reads the relationship API's row filter with the package's
// default limits (see Limits.ParseFilter).
func ParseFilter(text string) (Expr, error) { return Limits{}.ParseFilter(text) }

// ParseFilter reads the relationship API's row filter within l. Empty text
// (or `{}`) matches every row. A filter that does not parse, or exceeds l
// (MaxDepth for nested objects, MaxConditions, MaxListItems, MaxText), is a
// *Error with the 1-based position of the problem.
func (l Limits) ParseFilter(text string) (Expr, error) {
	x, err := l.parseFilter(text)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return nil, &Error{Pos: se.Pos, Msg: se.Msg}
		}
		return nil, err
	}
	return x, nil
}

func (l Limits) parseFilter(text string) (Expr, error) {
	p := &parser{filter: true, limits: l}
	if err := p.init(text); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return True{}, nil
	}
	if !p.isPunct("{") {
		return nil, p.errorf("expected { at the start of the filter")
	}
	x, err := p.filterObject()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.errorf("expected the end of the filter")
	}
	return x, nil
}

// enter counts one more level of nesting at an object the parser is on.
func (p *parser) enter() error {
	p.depth++
	if m := p.limits.maxDepth(); p.depth > m {
		return &SyntaxError{Pos: p.tok.pos, Msg: fmt.Sprintf("the filter nests objects more than %d levels deep (the limit is %d)", m, m)}
	}
	return nil
}

// isOperatorKey reports whether the current token is a key naming an
// operator ($...).
func (p *parser) isOperatorKey() bool {
	return (p.tok.kind == tokIdent || p.tok.kind == tokString) && strings.HasPrefix(p.tok.text, "$")
}

// unknownOperator is the error for an operator key the filter does not
// have.
func (p *parser) unknownOperator() error {
	name := p.tok.text
	if o, ok := filterOperator(strings.ToLower(name)); ok {
		return &SyntaxError{Pos: p.tok.pos, Msg: fmt.Sprintf("unknown operator %s (operators are lower-case: %s)", name, o.Name)}
	}
	return &SyntaxError{Pos: p.tok.pos, Msg: fmt.Sprintf("unknown operator %s; the supported operators are %s", name, supportedOperators())}
}

// filterObject reads `{key: ..., ...}` (the parser is on the {): the AND of
// its members.
func (p *parser) filterObject() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if err := p.next(); err != nil {
		return nil, err
	}
	var and And
	for !p.isPunct("}") {
		if p.tok.kind != tokIdent && p.tok.kind != tokString {
			if len(and) == 0 {
				return nil, p.errorf("expected a field name, $or, $and or }")
			}
			return nil, p.errorf("expected a field name, $or or $and")
		}
		key, isOp := p.tok, p.isOperatorKey()
		if isOp {
			o, ok := filterOperator(key.text)
			if !ok {
				return nil, p.unknownOperator()
			}
			if o.Name != "$or" && o.Name != "$and" {
				return nil, p.errorf("%s applies to a field, as in {Field: {%s: %s}}; expected a field name, $or or $and", o.Name, o.Name, o.Operand)
			}
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		if !p.isPunct(":") {
			return nil, p.errorf("expected : after %s", key.text)
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		var x Expr
		var err error
		switch {
		case isOp:
			x, err = p.filterList(key.text)
		case p.isPunct("{"):
			x, err = p.fieldOperators(key)
		default:
			var v any
			v, err = p.filterValue(key.text + ":")
			if err == nil {
				x, err = p.condition1(&Compare{Field: key.text, Op: OpEqual, Value: v, Pos: key.pos})
			}
		}
		if err != nil {
			return nil, err
		}
		and = append(and, x)
		if p.isPunct(",") {
			if err := p.next(); err != nil {
				return nil, err
			}
			if p.isPunct("}") {
				return nil, p.errorf("expected a field name, $or or $and after ,")
			}
			continue
		}
		if !p.isPunct("}") {
			return nil, p.errorf("expected , or } after the value of %s", key.text)
		}
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	switch len(and) {
	case 0:
		return True{}, nil
	case 1:
		return and[0], nil
	}
	return and, nil
}

// condition1 counts one comparison against MaxConditions.
func (p *parser) condition1(c *Compare) (Expr, error) {
	p.conditions++
	if m := p.limits.maxConditions(); p.conditions > m {
		return nil, &SyntaxError{Pos: c.Pos, Msg: fmt.Sprintf("the filter holds more than %d conditions (the limit is %d)", m, m)}
	}
	return c, nil
}

// filterList reads the list of filters of $or or $and (the parser is on
// the [). An empty $or matches no row, an empty $and every row.
func (p *parser) filterList(op string) (Expr, error) {
	if !p.isPunct("[") {
		return nil, p.errorf("expected [ after %s (a list of filters)", op)
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	var list []Expr
	for !p.isPunct("]") {
		if !p.isPunct("{") {
			return nil, p.errorf("expected a filter {...} in the list of %s", op)
		}
		x, err := p.filterObject()
		if err != nil {
			return nil, err
		}
		list = append(list, x)
		if p.isPunct(",") {
			if err := p.next(); err != nil {
				return nil, err
			}
			if p.isPunct("]") {
				return nil, p.errorf("expected a filter {...} after , in the list of %s", op)
			}
			continue
		}
		if !p.isPunct("]") {
			return nil, p.errorf("expected , or ] in the list of %s", op)
		}
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	if op == "$or" {
		if list == nil {
			return Or{}, nil
		}
		return Or(list), nil
	}
	if len(list) == 1 {
		return list[0], nil
	}
	return And(list), nil
}

// fieldOperators reads `{$op: operand, ...}` of field (the parser is on the
// {): the AND of its operators.
func (p *parser) fieldOperators(field token) (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if err := p.next(); err != nil {
		return nil, err
	}
	var and And
	for {
		if !p.isOperatorKey() {
			return nil, p.errorf("expected an operator of %s (%s)", field.text, supportedOperators())
		}
		opTok := p.tok
		o, ok := filterOperator(opTok.text)
		if !ok {
			return nil, p.unknownOperator()
		}
		if o.Name == "$or" || o.Name == "$and" {
			return nil, p.errorf("%s combines filters, as in {%s: [{%s: ...}, ...]}; it does not apply to a field", o.Name, o.Name, field.text)
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		if !p.isPunct(":") {
			return nil, p.errorf("expected : after %s", o.Name)
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		x, err := p.fieldOperator(field.text, o, opTok.pos)
		if err != nil {
			return nil, err
		}
		and = append(and, x)
		if p.isPunct(",") {
			if err := p.next(); err != nil {
				return nil, err
			}
			continue
		}
		if !p.isPunct("}") {
			return nil, p.errorf("expected , or } after the operand of %s", o.Name)
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		if len(and) == 1 {
			return and[0], nil
		}
		return and, nil
	}
}

// fieldOperator reads the operand of o and builds its condition on field;
// pos is the operator's position.
func (p *parser) fieldOperator(field string, o FilterOperator, pos int) (Expr, error) {
	notNull := func(v any, at int) error {
		if v == nil {
			return &SyntaxError{Pos: at, Msg: fmt.Sprintf("%s needs a value, not null (use {%s: null} or {%s: {$not: null}})", o.Name, field, field)}
		}
		return nil
	}
	switch o.Name {
	case "$in", "$nin":
		list, err := p.filterValues(o.Name)
		if err != nil {
			return nil, err
		}
		x, err := p.condition1(&Compare{Field: field, Op: OpIn, List: list, Pos: pos})
		if err != nil || o.Name == "$in" {
			return x, err
		}
		return Not{X: x}, nil
	case "$between":
		at := p.tok.pos
		list, err := p.filterValues(o.Name)
		if err != nil {
			return nil, err
		}
		if len(list) != 2 {
			return nil, &SyntaxError{Pos: at, Msg: fmt.Sprintf("expected two values [low, high] after $between, found %d", len(list))}
		}
		for _, v := range list {
			if err := notNull(v, at); err != nil {
				return nil, err
			}
		}
		lo, err := p.condition1(&Compare{Field: field, Op: OpGreaterThanOrEqual, Value: list[0], Pos: pos})
		if err != nil {
			return nil, err
		}
		hi, err := p.condition1(&Compare{Field: field, Op: OpLessThanOrEqual, Value: list[1], Pos: pos})
		if err != nil {
			return nil, err
		}
		return And{lo, hi}, nil
	}
	at := p.tok.pos
	v, err := p.filterValue(o.Name)
	if err != nil {
		return nil, err
	}
	if o.Op != OpEqual && o.Op != OpNotEqual {
		if err := notNull(v, at); err != nil {
			return nil, err
		}
	}
	return p.condition1(&Compare{Field: field, Op: o.Op, Value: v, Pos: pos})
}

// filterValues reads the list of values of $in, $nin or $between.
func (p *parser) filterValues(op string) ([]any, error) {
	if !p.isPunct("[") {
		return nil, p.errorf("expected [ after %s (a list of values)", op)
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	list := []any{}
	for !p.isPunct("]") {
		at := p.tok.pos
		v, err := p.filterValue("in the list of " + op)
		if err != nil {
			return nil, err
		}
		p.listItems++
		if m := p.limits.maxListItems(); p.listItems > m {
			return nil, &SyntaxError{Pos: at, Msg: fmt.Sprintf("the filter's lists hold more than %d values together (the limit is %d)", m, m)}
		}
		list = append(list, v)
		if p.isPunct(",") {
			if err := p.next(); err != nil {
				return nil, err
			}
			if p.isPunct("]") {
				return nil, p.errorf("expected a value after , in the list of %s", op)
			}
			continue
		}
		if !p.isPunct("]") {
			return nil, p.errorf("expected , or ] in the list of %s", op)
		}
	}
	return list, p.next()
}

// filterValue reads a string, number, true, false or null; after says
// where, for errors ("after $gt").
func (p *parser) filterValue(after string) (any, error) {
	t := p.tok
	var v any
	switch {
	case t.kind == tokString:
		if msg := p.limits.checkText(t.text); msg != "" {
			return nil, &SyntaxError{Pos: t.pos, Msg: "a string " + msg}
		}
		v = t.text
	case t.kind == tokNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("the number %s is out of range", t.text)}
		}
		v = f
	case p.isKeyword("true"):
		v = true
	case p.isKeyword("false"):
		v = false
	case p.isKeyword("null"):
		v = nil
	default:
		if !strings.HasPrefix(after, "in ") {
			after = "after " + after
		}
		return nil, p.errorf("expected a value %s (text in quotes, a number, true, false or null)", after)
	}
	return v, p.next()
}

// nextFilter reads the next token of filter text: punctuation { } [ ] : ,,
// a string in double or single quotes with JSON's escapes, a JSON number,
// or a word (a key, an operator such as $gt, true, false, null).
func (p *parser) nextFilter() error {
	for p.off < len(p.src) && unicode.IsSpace(p.src[p.off]) {
		p.off++
	}
	start := p.off
	pos := start + 1
	if p.off >= len(p.src) {
		p.tok = token{kind: tokEOF, pos: pos}
		return nil
	}
	c := p.src[p.off]
	switch {
	case strings.ContainsRune("{}[]:,", c):
		p.off++
		p.tok = token{kind: tokPunct, text: string(c), pos: pos}
		return nil
	case c == '"' || c == '\'':
		return p.filterString(c, pos)
	}
	for p.off < len(p.src) && !unicode.IsSpace(p.src[p.off]) && !strings.ContainsRune("{}[]:,\"'", p.src[p.off]) {
		p.off++
	}
	word := p.src[start:p.off]
	if isJSONNumber(word) {
		p.tok = token{kind: tokNumber, text: string(word), pos: pos}
		return nil
	}
	for i, r := range word {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '$' && i == 0) {
			if i == 0 && (r == '-' || r == '.' || r == '+') {
				return &SyntaxError{Pos: pos, Msg: fmt.Sprintf("%q is not a number", string(word))}
			}
			return &SyntaxError{Pos: start + i + 1, Msg: fmt.Sprintf("unexpected character %q", r)}
		}
	}
	p.tok = token{kind: tokIdent, text: string(word), pos: pos}
	return nil
}

// filterString reads a string quoted with q (the parser is on the quote at
// 1-based pos).
func (p *parser) filterString(q rune, pos int) error {
	var b strings.Builder
	p.off++
	for {
		if p.off >= len(p.src) {
			return &SyntaxError{Pos: pos, Msg: "unterminated string"}
		}
		r := p.src[p.off]
		p.off++
		if r == q {
			break
		}
		if r != '\\' {
			b.WriteRune(r)
			continue
		}
		if p.off >= len(p.src) {
			return &SyntaxError{Pos: pos, Msg: "unterminated string"}
		}
		at := p.off // the 0-based offset of the escaped character
		e := p.src[p.off]
		p.off++
		switch e {
		case '"', '\'', '\\', '/':
			b.WriteRune(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			u, ok := p.hex4()
			if !ok {
				return &SyntaxError{Pos: at, Msg: `expected four hex digits after \u`}
			}
			if utf16.IsSurrogate(u) && p.off+1 < len(p.src) && p.src[p.off] == '\\' && p.src[p.off+1] == 'u' {
				save := p.off
				p.off += 2
				if u2, ok := p.hex4(); ok {
					if d := utf16.DecodeRune(u, u2); d != unicode.ReplacementChar {
						b.WriteRune(d)
						continue
					}
				}
				p.off = save
			}
			b.WriteRune(u) // a lone surrogate is written as U+FFFD
		default:
			return &SyntaxError{Pos: at, Msg: fmt.Sprintf(`unknown escape \%c in a string`, e)}
		}
	}
	p.tok = token{kind: tokString, text: b.String(), pos: pos}
	return nil
}

// hex4 reads four hex digits.
func (p *parser) hex4() (rune, bool) {
	if p.off+4 > len(p.src) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(p.src[p.off:p.off+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.off += 4
	return rune(n), true
}

// isJSONNumber reports whether w is a JSON number, relaxed to allow a
// missing integer part (.5).
func isJSONNumber(w []rune) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(w) && w[i] >= '0' && w[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(w) && w[i] == '-' {
		i++
	}
	n := digits()
	if i < len(w) && w[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else if n == 0 {
		return false
	}
	if i < len(w) && (w[i] == 'e' || w[i] == 'E') {
		i++
		if i < len(w) && (w[i] == '+' || w[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(w)
}

// ResolveFields renames the field of every comparison in e to what resolve
// answers for it, in place, so that a filter written with any case of a
// field name reads the declared one. It returns the first field resolve
// does not know, with ok false.
func ResolveFields(e Expr, resolve func(field string) (string, bool)) (unknown string, ok bool) {
	switch x := e.(type) {
	case And:
		for _, y := range x {
			if u, ok := ResolveFields(y, resolve); !ok {
				return u, false
			}
		}
	case Or:
		for _, y := range x {
			if u, ok := ResolveFields(y, resolve); !ok {
				return u, false
			}
		}
	case Not:
		return ResolveFields(x.X, resolve)
	case *Compare:
		n, ok := resolve(x.Field)
		if !ok {
			return x.Field, false
		}
		x.Field = n
		if x.RightField != "" {
			r, ok := resolve(x.RightField)
			if !ok {
				return x.RightField, false
			}
			x.RightField = r
		}
	}
	return "", true
}
