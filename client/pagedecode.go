package client

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tenantkit/tenantkit/client/dataapi"
)

// Entity pages are most of what a data-lake export reads, and the generated
// decoder reads each entity twice (into raw messages, then each field). The
// data API's 200 responses are decoded here in one pass into the same
// values encoding/json gives (map[string]any, []any, float64, string, bool,
// nil); anything unexpected falls back to the generated decoder, so errors
// read the same.

// parseEntityPage answers an entityQuery or query response like the
// generated Parse functions.
func parseEntityPage(rsp *http.Response, generated func(*http.Response) (*dataapi.EntityQueryResponse, error)) (*dataapi.EntityQueryResponse, error) {
	if rsp.StatusCode != http.StatusOK || !strings.Contains(rsp.Header.Get("Content-Type"), "json") {
		return generated(rsp)
	}
	body, err := io.ReadAll(rsp.Body)
	_ = rsp.Body.Close()
	if err != nil {
		return nil, err
	}
	if page, ok := decodeEntityPage(body); ok {
		return &dataapi.EntityQueryResponse{Body: body, HTTPResponse: rsp, JSON200: page}, nil
	}
	rsp.Body = io.NopCloser(bytes.NewReader(body))
	return generated(rsp)
}

// decodeEntityPage decodes {"entities": [...], "paging": {...}}; ok is
// false when the body is anything else (including invalid JSON).
func decodeEntityPage(b []byte) (page *dataapi.EntityQueryResult, ok bool) {
	defer func() {
		if recover() != nil {
			page, ok = nil, false
		}
	}()
	d := &pageDecoder{b: b, keys: map[string]string{}}
	out := &dataapi.EntityQueryResult{}
	d.ws()
	d.expect('{')
	first := true
	for {
		d.ws()
		if d.peek() == '}' {
			d.i++
			break
		}
		if !first {
			d.expect(',')
			d.ws()
		}
		first = false
		k := d.str()
		d.ws()
		d.expect(':')
		d.ws()
		switch {
		case strings.EqualFold(k, "entities"):
			out.Entities = d.entities()
		case strings.EqualFold(k, "paging"):
			out.Paging = d.paging()
		default:
			d.value()
		}
	}
	d.ws()
	if d.i != len(d.b) {
		return nil, false
	}
	return out, true
}

type pageDecoder struct {
	b    []byte
	i    int
	keys map[string]string // interned object keys and short values
}

// errSyntax aborts decoding; decodeEntityPage recovers it.
type errSyntax struct{}

func (d *pageDecoder) fail() { panic(errSyntax{}) }

func (d *pageDecoder) peek() byte {
	if d.i >= len(d.b) {
		d.fail()
	}
	return d.b[d.i]
}

func (d *pageDecoder) expect(c byte) {
	if d.peek() != c {
		d.fail()
	}
	d.i++
}

func (d *pageDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *pageDecoder) entities() []dataapi.Entity {
	if d.peek() == 'n' {
		d.literal("null")
		return nil
	}
	d.expect('[')
	out := []dataapi.Entity{}
	d.ws()
	if d.peek() == ']' {
		d.i++
		return out
	}
	for {
		d.ws()
		out = append(out, d.entity())
		d.ws()
		if d.peek() == ']' {
			d.i++
			return out
		}
		d.expect(',')
	}
}

func (d *pageDecoder) entity() dataapi.Entity {
	var e dataapi.Entity
	d.expect('{')
	first := true
	for {
		d.ws()
		if d.peek() == '}' {
			d.i++
			return e
		}
		if !first {
			d.expect(',')
			d.ws()
		}
		first = false
		k := d.str()
		d.ws()
		d.expect(':')
		d.ws()
		if k == "id" {
			if d.peek() == 'n' {
				d.literal("null")
				continue
			}
			e.Id = d.str()
			continue
		}
		if e.AdditionalProperties == nil {
			e.AdditionalProperties = make(map[string]any, 12)
		}
		e.AdditionalProperties[k] = d.value()
	}
}

// paging decodes the small paging object with encoding/json itself, so its
// rules for integers and key case apply exactly.
func (d *pageDecoder) paging() dataapi.Paging {
	start := d.i
	d.value()
	var p dataapi.Paging
	if err := json.Unmarshal(d.b[start:d.i], &p); err != nil {
		d.fail()
	}
	return p
}

func (d *pageDecoder) literal(s string) {
	if !bytes.HasPrefix(d.b[d.i:], []byte(s)) {
		d.fail()
	}
	d.i += len(s)
}

// value reads any JSON value as encoding/json decodes it into an any.
func (d *pageDecoder) value() any {
	switch c := d.peek(); {
	case c == '"':
		return d.str()
	case c == '{':
		d.i++
		m := map[string]any{}
		first := true
		for {
			d.ws()
			if d.peek() == '}' {
				d.i++
				return m
			}
			if !first {
				d.expect(',')
				d.ws()
			}
			first = false
			k := d.str()
			d.ws()
			d.expect(':')
			d.ws()
			m[k] = d.value()
		}
	case c == '[':
		d.i++
		list := []any{}
		d.ws()
		if d.peek() == ']' {
			d.i++
			return list
		}
		for {
			d.ws()
			list = append(list, d.value())
			d.ws()
			if d.peek() == ']' {
				d.i++
				return list
			}
			d.expect(',')
		}
	case c == 't':
		d.literal("true")
		return true
	case c == 'f':
		d.literal("false")
		return false
	case c == 'n':
		d.literal("null")
		return nil
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	d.fail()
	return nil
}

// number reads a JSON number (its grammar checked) as a float64.
func (d *pageDecoder) number() float64 {
	start := d.i
	if d.b[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.b) && d.b[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		d.fail()
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			d.fail()
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			d.fail()
		}
	}
	f, err := strconv.ParseFloat(string(d.b[start:d.i]), 64)
	if err != nil {
		d.fail() // out of range: encoding/json reports it too
	}
	return f
}

// str reads a JSON string; short ones are interned.
func (d *pageDecoder) str() string {
	d.expect('"')
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			raw := d.b[start:d.i]
			d.i++
			return d.intern(raw)
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			d.fail()
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && size == 1 {
				return d.escaped(start) // invalid UTF-8 becomes U+FFFD
			}
			d.i += size
		default:
			d.i++
		}
	}
	d.fail()
	return ""
}

func (d *pageDecoder) intern(raw []byte) string {
	if len(raw) > 24 {
		return string(raw)
	}
	if s, ok := d.keys[string(raw)]; ok {
		return s
	}
	s := string(raw)
	if len(d.keys) < 4096 {
		d.keys[s] = s
	}
	return s
}

// escaped finishes a string that has escapes or invalid UTF-8, from start.
func (d *pageDecoder) escaped(start int) string {
	buf := make([]byte, 0, d.i-start+16)
	buf = append(buf, d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return string(buf)
		case c < 0x20:
			d.fail()
		case c == '\\':
			d.i++
			e := d.peek()
			d.i++
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r := d.hex4()
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
						save := d.i
						d.i += 2
						r2 = d.hex4()
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							continue
						}
						d.i = save
					}
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
			default:
				d.fail()
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			d.i++
		default:
			r, size := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, d.b[d.i:d.i+size]...)
			}
			d.i += size
		}
	}
	d.fail()
	return ""
}

func (d *pageDecoder) hex4() rune {
	if d.i+4 > len(d.b) {
		d.fail()
	}
	n, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
	if err != nil {
		d.fail()
	}
	d.i += 4
	return rune(n)
}
