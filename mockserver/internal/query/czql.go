package query

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// SyntaxError is a CZQL syntax error at a 1-based character position. (The
// row filter reports its syntax errors as *Error, with Pos set.)
type SyntaxError struct {
	Pos int
	Msg string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("syntax error at position %d: %s", e.Pos, e.Msg)
}

// Query is a parsed CZQL SELECT.
type Query struct {
	Fields []string // empty for SELECT *
	// FieldPos holds the position of each of Fields in the text.
	FieldPos []int
	From     string
	FromPos  int
	Where    Expr
	Orders   []Order
	Limit    int // 0 when absent
	Offset   int
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokParam
	tokPunct
)

type token struct {
	kind tokKind
	text string // identifier, punctuation, literal text (unquoted)
	pos  int    // 1-based
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "the end of the text"
	case tokString:
		return strconv.Quote(t.text)
	case tokParam:
		return ":" + t.text
	}
	return strconv.Quote(t.text)
}

type parser struct {
	src    []rune
	off    int
	tok    token
	params map[string]any
	// filter lexes the row filter's relaxed JSON (nextFilter) instead of
	// CZQL.
	filter bool
	depth  int
	limits Limits
	// conditions and listItems count what a row filter holds so far,
	// against Limits.MaxConditions and MaxListItems.
	conditions, listItems int
}

func (p *parser) init(s string) error {
	p.src = []rune(s)
	return p.next()
}

func (p *parser) errorf(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &SyntaxError{Pos: p.tok.pos, Msg: msg + ", found " + p.tok.describe()}
}

// next reads the next token into p.tok.
func (p *parser) next() error {
	if p.filter {
		return p.nextFilter()
	}
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
	case unicode.IsLetter(c) || c == '_':
		for p.off < len(p.src) && (unicode.IsLetter(p.src[p.off]) || unicode.IsDigit(p.src[p.off]) || p.src[p.off] == '_' ||
			// a dotted path: Manager.Name
			p.src[p.off] == '.' && p.off+1 < len(p.src) && (unicode.IsLetter(p.src[p.off+1]) || p.src[p.off+1] == '_')) {
			p.off++
		}
		p.tok = token{kind: tokIdent, text: string(p.src[start:p.off]), pos: pos}
	case unicode.IsDigit(c) || (c == '-' || c == '.') && p.off+1 < len(p.src) && unicode.IsDigit(p.src[p.off+1]):
		p.off++
		for p.off < len(p.src) && (unicode.IsDigit(p.src[p.off]) || p.src[p.off] == '.') {
			p.off++
		}
		p.tok = token{kind: tokNumber, text: string(p.src[start:p.off]), pos: pos}
	case c == '\'' || c == '"':
		var b strings.Builder
		p.off++
		for {
			if p.off >= len(p.src) {
				return &SyntaxError{Pos: pos, Msg: "unterminated string"}
			}
			r := p.src[p.off]
			p.off++
			if r == c {
				if p.off < len(p.src) && p.src[p.off] == c { // doubled quote escapes it
					b.WriteRune(c)
					p.off++
					continue
				}
				break
			}
			if r == '\\' && p.off < len(p.src) {
				r = p.src[p.off]
				p.off++
			}
			b.WriteRune(r)
		}
		p.tok = token{kind: tokString, text: b.String(), pos: pos}
	case c == ':':
		p.off++
		for p.off < len(p.src) && (unicode.IsLetter(p.src[p.off]) || unicode.IsDigit(p.src[p.off]) || p.src[p.off] == '_') {
			p.off++
		}
		if p.off == start+1 {
			return &SyntaxError{Pos: pos, Msg: "expected a parameter name after :"}
		}
		p.tok = token{kind: tokParam, text: string(p.src[start+1 : p.off]), pos: pos}
	case c == '/':
		// An entity id literal such as /Project/3.
		for p.off < len(p.src) && (p.src[p.off] == '/' || unicode.IsLetter(p.src[p.off]) || unicode.IsDigit(p.src[p.off]) || p.src[p.off] == '_') {
			p.off++
		}
		p.tok = token{kind: tokString, text: string(p.src[start:p.off]), pos: pos}
	default:
		two := ""
		if p.off+1 < len(p.src) {
			two = string(p.src[p.off : p.off+2])
		}
		switch two {
		case "<>", "!=", "<=", ">=":
			p.off += 2
			p.tok = token{kind: tokPunct, text: two, pos: pos}
			return nil
		}
		if strings.ContainsRune("=<>(),*{}", c) {
			p.off++
			p.tok = token{kind: tokPunct, text: string(c), pos: pos}
			return nil
		}
		return &SyntaxError{Pos: pos, Msg: fmt.Sprintf("unexpected character %q", c)}
	}
	return nil
}

func (p *parser) isKeyword(kw string) bool {
	return p.tok.kind == tokIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) isPunct(s string) bool { return p.tok.kind == tokPunct && p.tok.text == s }

func (p *parser) expectKeyword(kw string) error {
	if !p.isKeyword(kw) {
		return p.errorf("expected %s", kw)
	}
	return p.next()
}

var reserved = map[string]bool{"SELECT": true, "FROM": true, "WHERE": true, "ORDER": true, "BY": true, "LIMIT": true,
	"OFFSET": true, "AND": true, "OR": true, "NOT": true, "LIKE": true, "IN": true, "IS": true, "NULL": true,
	"ASC": true, "DESC": true, "TRUE": true, "FALSE": true}

func (p *parser) ident(what string) (string, error) {
	if p.tok.kind != tokIdent || reserved[strings.ToUpper(p.tok.text)] {
		return "", p.errorf("expected %s", what)
	}
	s := p.tok.text
	return s, p.next()
}

// ParseQuery parses CZQL with the package's default limits (see
// Limits.ParseQuery).
func ParseQuery(text string, params map[string]any) (*Query, error) {
	return Limits{}.ParseQuery(text, params)
}

// ParseQuery parses `SELECT f1, f2 FROM Type [WHERE cond] [ORDER BY f [ASC|DESC], ...]
// [LIMIT n [OFFSET m]]` within l. params supply `:name` values.
func (l Limits) ParseQuery(text string, params map[string]any) (*Query, error) {
	p := &parser{params: params, limits: l}
	if err := p.init(text); err != nil {
		return nil, err
	}
	if err := p.expectKeyword("SELECT"); err != nil {
		return nil, err
	}
	q := &Query{Where: True{}}
	if p.isPunct("*") {
		if err := p.next(); err != nil {
			return nil, err
		}
	} else {
		for {
			pos := p.tok.pos
			f, err := p.ident("a field name")
			if err != nil {
				return nil, err
			}
			q.Fields = append(q.Fields, f)
			q.FieldPos = append(q.FieldPos, pos)
			if !p.isPunct(",") {
				break
			}
			if err := p.next(); err != nil {
				return nil, err
			}
		}
	}
	if err := p.expectKeyword("FROM"); err != nil {
		return nil, err
	}
	q.FromPos = p.tok.pos
	from, err := p.ident("an entity type name")
	if err != nil {
		return nil, err
	}
	q.From = from
	if p.isKeyword("WHERE") {
		if err := p.next(); err != nil {
			return nil, err
		}
		if q.Where, err = p.condition(); err != nil {
			return nil, err
		}
	}
	if p.isKeyword("ORDER") {
		if err := p.next(); err != nil {
			return nil, err
		}
		if err := p.expectKeyword("BY"); err != nil {
			return nil, err
		}
		if q.Orders, err = p.orderList(); err != nil {
			return nil, err
		}
	}
	if p.isKeyword("LIMIT") {
		if err := p.next(); err != nil {
			return nil, err
		}
		if q.Limit, err = p.count("LIMIT", 1); err != nil {
			return nil, err
		}
		if p.isKeyword("OFFSET") {
			if err := p.next(); err != nil {
				return nil, err
			}
			if q.Offset, err = p.count("OFFSET", 0); err != nil {
				return nil, err
			}
		}
	}
	if p.tok.kind != tokEOF {
		return nil, p.errorf("expected WHERE, ORDER BY, LIMIT or the end of the query")
	}
	return q, nil
}

// FromType returns the entity type named after FROM, for authorization
// before the full parse; ok is false when the text has no FROM clause.
func FromType(text string) (string, bool) {
	p := &parser{}
	if p.init(text) != nil {
		return "", false
	}
	for p.tok.kind != tokEOF {
		if p.isKeyword("FROM") {
			if p.next() != nil || p.tok.kind != tokIdent {
				return "", false
			}
			return p.tok.text, true
		}
		if p.next() != nil {
			return "", false
		}
	}
	return "", false
}

// count reads the whole number, at least least, after LIMIT or OFFSET.
func (p *parser) count(what string, least int) (int, error) {
	if p.tok.kind != tokNumber {
		return 0, p.errorf("expected a number after %s", what)
	}
	n, err := strconv.Atoi(p.tok.text)
	if err != nil || n < least {
		return 0, p.errorf("expected a whole number of at least %d after %s", least, what)
	}
	return n, p.next()
}

func (p *parser) orderList() ([]Order, error) {
	var out []Order
	for {
		pos := p.tok.pos
		f, err := p.ident("a field name")
		if err != nil {
			return nil, err
		}
		o := Order{Field: f, Pos: pos}
		switch {
		case p.isKeyword("DESC"), p.isKeyword("DESCENDING"):
			o.Descending = true
			err = p.next()
		case p.isKeyword("ASC"), p.isKeyword("ASCENDING"):
			err = p.next()
		}
		if err != nil {
			return nil, err
		}
		out = append(out, o)
		if l := p.limits; l.MaxOrders > 0 && len(out) > l.MaxOrders {
			return nil, &SyntaxError{Pos: pos, Msg: fmt.Sprintf("more than %d sort keys; the limit is %d", l.MaxOrders, l.MaxOrders)}
		}
		if !p.isPunct(",") {
			return out, nil
		}
		if err := p.next(); err != nil {
			return nil, err
		}
	}
}

// ParseCondition parses CZQL condition text with the package's default
// limits (see Limits.ParseCondition).
func ParseCondition(text string, params map[string]any) (Expr, error) {
	return Limits{}.ParseCondition(text, params)
}

// ParseCondition parses CZQL condition text (the WHERE part) within l, with
// `:name` parameters from params. Empty text matches every row.
func (l Limits) ParseCondition(text string, params map[string]any) (Expr, error) {
	if strings.TrimSpace(text) == "" {
		return True{}, nil
	}
	p := &parser{params: params, limits: l}
	if err := p.init(text); err != nil {
		return nil, err
	}
	x, err := p.condition()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.errorf("expected AND, OR or the end of the condition")
	}
	return x, nil
}

func (p *parser) condition() (Expr, error) {
	x, err := p.and()
	if err != nil {
		return nil, err
	}
	or := Or{x}
	for p.isKeyword("OR") {
		if err := p.next(); err != nil {
			return nil, err
		}
		y, err := p.and()
		if err != nil {
			return nil, err
		}
		or = append(or, y)
	}
	if len(or) == 1 {
		return x, nil
	}
	return or, nil
}

func (p *parser) and() (Expr, error) {
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	and := And{x}
	for p.isKeyword("AND") {
		if err := p.next(); err != nil {
			return nil, err
		}
		y, err := p.unary()
		if err != nil {
			return nil, err
		}
		and = append(and, y)
	}
	if len(and) == 1 {
		return x, nil
	}
	return and, nil
}

func (p *parser) unary() (Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if m := p.limits.maxDepth(); p.depth > m {
		return nil, p.errorf("conditions are nested more than %d levels deep (the limit is %d)", m, m)
	}
	switch {
	case p.isKeyword("NOT"):
		if err := p.next(); err != nil {
			return nil, err
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return Not{X: x}, nil
	case p.isPunct("("):
		if err := p.next(); err != nil {
			return nil, err
		}
		x, err := p.condition()
		if err != nil {
			return nil, err
		}
		if !p.isPunct(")") {
			return nil, p.errorf("expected )")
		}
		return x, p.next()
	}
	return p.predicate()
}

var punctOps = map[string]string{"=": OpEqual, "<>": OpNotEqual, "!=": OpNotEqual, "<": OpLessThan,
	">": OpGreaterThan, "<=": OpLessThanOrEqual, ">=": OpGreaterThanOrEqual}

func (p *parser) predicate() (Expr, error) {
	pos := p.tok.pos
	field, err := p.ident("a field name")
	if err != nil {
		return nil, err
	}
	if p.tok.kind == tokPunct {
		if op, ok := punctOps[p.tok.text]; ok {
			if err := p.next(); err != nil {
				return nil, err
			}
			if p.tok.kind == tokIdent && !reserved[strings.ToUpper(p.tok.text)] {
				right := p.tok.text
				return &Compare{Field: field, Op: op, RightField: right, Pos: pos}, p.next()
			}
			v, err := p.single()
			if err != nil {
				return nil, err
			}
			return &Compare{Field: field, Op: op, Value: v, Pos: pos}, nil
		}
	}
	negate := false
	if p.isKeyword("NOT") {
		negate = true
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	var x Expr
	switch {
	case p.isKeyword("LIKE"):
		if err := p.next(); err != nil {
			return nil, err
		}
		v, err := p.single()
		if err != nil {
			return nil, err
		}
		x = &Compare{Field: field, Op: OpLike, Value: v, Pos: pos}
	case p.isKeyword("IN"):
		if err := p.next(); err != nil {
			return nil, err
		}
		list, err := p.list()
		if err != nil {
			return nil, err
		}
		if msg := p.limits.checkList(len(list)); msg != "" {
			return nil, &SyntaxError{Pos: pos, Msg: msg}
		}
		x = &Compare{Field: field, Op: OpIn, List: list, Pos: pos}
	case p.isKeyword("IS") && !negate:
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.isKeyword("NOT") {
			negate = true
			if err := p.next(); err != nil {
				return nil, err
			}
		}
		if err := p.expectKeyword("NULL"); err != nil {
			return nil, err
		}
		x = &Compare{Field: field, Op: OpEqual, Pos: pos}
	default:
		return nil, p.errorf("expected a comparison (=, <>, <, >, <=, >=, LIKE, IN, IS NULL) after %s", field)
	}
	if negate {
		return Not{X: x}, nil
	}
	return x, nil
}

func (p *parser) list() ([]any, error) {
	if !p.isPunct("(") {
		return nil, p.errorf("expected ( after IN")
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	var out []any
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if l, ok := v.([]any); ok {
			out = append(out, l...)
		} else {
			out = append(out, v)
		}
		if p.isPunct(")") {
			return out, p.next()
		}
		if !p.isPunct(",") {
			return nil, p.errorf("expected , or )")
		}
		if err := p.next(); err != nil {
			return nil, err
		}
	}
}

// single reads a value that must not be a list (a list parameter).
func (p *parser) single() (any, error) {
	t := p.tok
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if _, isList := v.([]any); isList {
		return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("parameter :%s is a list; only IN takes a list", t.text)}
	}
	return v, nil
}

func (p *parser) value() (any, error) {
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
			return nil, p.errorf("expected a number")
		}
		v = f
	case p.isKeyword("TRUE"):
		v = true
	case p.isKeyword("FALSE"):
		v = false
	case p.isKeyword("NULL"):
		v = nil
	case t.kind == tokParam:
		// Parameter values are the request's, bounded by its schema
		// (text length included); the engine takes scalars only.
		pv, ok := p.params[t.text]
		if !ok {
			return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("parameter :%s has no value in parameters", t.text)}
		}
		if l, ok := pv.([]any); ok {
			v = normaliseList(l)
			for _, x := range v.([]any) {
				if !scalar(x) {
					return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("parameter :%s holds a value that is not a string, number, boolean or null", t.text)}
				}
			}
		} else {
			v = normalise(pv)
			if !scalar(v) {
				return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("parameter :%s is not a string, number, boolean, null or list", t.text)}
			}
		}
	default:
		return nil, p.errorf("expected a value ('text', a number, TRUE, FALSE, NULL or :param)")
	}
	return v, p.next()
}
