package generic

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// patchError is a JSON Patch the row cannot take: the field (the
// operation, patch[2].path) and why.
type patchError struct{ field, msg string }

func (e *patchError) Error() string { return e.field + ": " + e.msg }

// maxPatchOperations bounds one JSON Patch: each operation may copy an
// array of the row, so their number is what one request costs.
const maxPatchOperations = 1000

// applyPatch applies a JSON Patch (RFC 6902: add, remove, replace, test,
// move and copy) to a row's fields, in order; the first failure stops it
// (the caller keeps the row as it was).
func applyPatch(doc map[string]any, patch []any) error {
	if len(patch) > maxPatchOperations {
		return &patchError{"patch", fmt.Sprintf("%d operations; the mock applies at most %d in one request", len(patch), maxPatchOperations)}
	}
	var root any = doc
	for i, raw := range patch {
		at := "patch[" + strconv.Itoa(i) + "]"
		op, _ := raw.(map[string]any)
		if op == nil {
			return &patchError{at, "a patch operation is an object {op, path, ...}"}
		}
		name, _ := op["op"].(string)
		path, ok := op["path"].(string)
		if !ok {
			return &patchError{at + ".path", "is required (a JSON Pointer such as /name)"}
		}
		tokens, err := pointer(path)
		if err != nil || len(tokens) == 0 {
			return &patchError{at + ".path", fmt.Sprintf("%q is not a JSON Pointer to a member of the row", path)}
		}
		value, hasValue := op["value"]
		switch name {
		case "add", "replace", "test":
			if !hasValue {
				return &patchError{at + ".value", "is required for " + name}
			}
		case "move", "copy":
			from, _ := op["from"].(string)
			ft, err := pointer(from)
			if err != nil || len(ft) == 0 {
				return &patchError{at + ".from", fmt.Sprintf("%q is not a JSON Pointer to a member of the row", from)}
			}
			v, err := get(root, ft)
			if err != nil {
				return &patchError{at + ".from", err.Error()}
			}
			if name == "move" {
				if err := remove(root, ft); err != nil {
					return &patchError{at + ".from", err.Error()}
				}
			}
			value, name = tenant.CloneJSON(v), "add"
		case "remove":
		default:
			return &patchError{at + ".op", fmt.Sprintf("%q is not a JSON Patch operation (add, remove, replace, move, copy, test)", name)}
		}
		switch name {
		case "add":
			err = add(root, tokens, value, false)
		case "replace":
			err = add(root, tokens, value, true)
		case "remove":
			err = remove(root, tokens)
		case "test":
			var v any
			if v, err = get(root, tokens); err == nil && !reflect.DeepEqual(v, value) {
				err = fmt.Errorf("the value at %s is not the one the test names", path)
			}
		}
		if err != nil {
			return &patchError{at, err.Error()}
		}
	}
	return nil
}

// pointer splits a JSON Pointer (RFC 6901) into its reference tokens.
func pointer(p string) ([]string, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("not a pointer")
	}
	parts := strings.Split(p[1:], "/")
	for i, t := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

// parent walks to the container of the last token.
func parent(root any, tokens []string) (any, error) {
	cur := root
	for _, t := range tokens[:len(tokens)-1] {
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[t]
			if !ok {
				return nil, fmt.Errorf("no member %q", t)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("no item %q", t)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("%q is inside a value that is neither an object nor an array", t)
		}
	}
	return cur, nil
}

func get(root any, tokens []string) (any, error) {
	p, err := parent(root, tokens)
	if err != nil {
		return nil, err
	}
	last := tokens[len(tokens)-1]
	switch c := p.(type) {
	case map[string]any:
		v, ok := c[last]
		if !ok {
			return nil, fmt.Errorf("no member %q", last)
		}
		return v, nil
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(c) {
			return nil, fmt.Errorf("no item %q", last)
		}
		return c[i], nil
	}
	return nil, fmt.Errorf("no member %q", last)
}

// add sets the member the tokens name (replace: it must exist). An array
// item is inserted (add) or replaced; "-" appends. Arrays are changed in
// their parent, so the parent is looked up again.
func add(root any, tokens []string, v any, replace bool) error {
	p, err := parent(root, tokens)
	if err != nil {
		return err
	}
	last := tokens[len(tokens)-1]
	switch c := p.(type) {
	case map[string]any:
		if _, ok := c[last]; replace && !ok {
			return fmt.Errorf("no member %q to replace", last)
		}
		c[last] = v
		return nil
	case []any:
		i := len(c)
		if last != "-" {
			if i, err = strconv.Atoi(last); err != nil || i < 0 || i > len(c) || replace && i == len(c) {
				return fmt.Errorf("no item %q", last)
			}
		} else if replace {
			return fmt.Errorf("no item %q to replace", last)
		}
		var out []any
		if replace {
			out = append(append(append(out, c[:i]...), v), c[i+1:]...)
		} else {
			out = append(append(append(out, c[:i]...), v), c[i:]...)
		}
		return setContainer(root, tokens[:len(tokens)-1], out)
	}
	return fmt.Errorf("%q is inside a value that is neither an object nor an array", last)
}

func remove(root any, tokens []string) error {
	p, err := parent(root, tokens)
	if err != nil {
		return err
	}
	last := tokens[len(tokens)-1]
	switch c := p.(type) {
	case map[string]any:
		if _, ok := c[last]; !ok {
			return fmt.Errorf("no member %q to remove", last)
		}
		delete(c, last)
		return nil
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(c) {
			return fmt.Errorf("no item %q to remove", last)
		}
		return setContainer(root, tokens[:len(tokens)-1], append(append([]any(nil), c[:i]...), c[i+1:]...))
	}
	return fmt.Errorf("no member %q to remove", last)
}

// setContainer puts a changed array back where tokens name it.
func setContainer(root any, tokens []string, v []any) error {
	if len(tokens) == 0 {
		return fmt.Errorf("the row itself is an object, not an array")
	}
	return add(root, tokens, v, true)
}
