package query

// ParseFilter reads the relationship API's row filter: `{Field: value, ...}`
// where a value is "text", 'text', a number, true, false or null, and every
// pair must hold. Empty text (or `{}`) matches every row.
func ParseFilter(text string) (Expr, error) {
	p := &parser{colonPunct: true}
	if err := p.init(text); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return True{}, nil
	}
	if !p.isPunct("{") {
		return nil, p.errorf("expected {")
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	and := And{}
	for !p.isPunct("}") {
		if p.tok.kind != tokIdent && p.tok.kind != tokString {
			return nil, p.errorf("expected a field name")
		}
		field := p.tok.text
		if err := p.next(); err != nil {
			return nil, err
		}
		if !p.isPunct(":") {
			return nil, p.errorf("expected : after %s", field)
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		and = append(and, &Compare{Field: field, Op: OpEqual, Value: v})
		if p.isPunct(",") {
			if err := p.next(); err != nil {
				return nil, err
			}
			continue
		}
		if !p.isPunct("}") {
			return nil, p.errorf("expected , or }")
		}
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.errorf("expected the end of the filter")
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}
