package tenant

import (
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// checkKeys walks a YAML node alongside the Go type it decodes into, reports
// keys the type does not know, and records the line of every field path.
func checkKeys(n *yaml.Node, t reflect.Type, path string, lines map[string]int, report func(line int, field, msg string)) {
	k := keyChecker{lines: lines, report: report, aliased: map[*yaml.Node]bool{}}
	k.check(n, t, path)
}

type keyChecker struct {
	lines  map[string]int
	report func(line int, field, msg string)
	// aliased holds the anchored nodes already walked through an alias:
	// each is walked once, so an alias to itself, or aliases of aliases
	// (a "billion laughs" document), cost no more than the text.
	aliased map[*yaml.Node]bool
}

func (k keyChecker) check(n *yaml.Node, t reflect.Type, path string) {
	if n == nil {
		return
	}
	if path != "" {
		k.lines[path] = n.Line
	}
	if n.Kind == yaml.AliasNode {
		if k.aliased[n.Alias] {
			return
		}
		k.aliased[n.Alias] = true
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		// Scalars are checked here, node by node, so a wrong value is
		// reported at its own field: yaml.v3's type errors carry only a
		// line, which a flow mapping shares with its other fields.
		if msg := scalarProblem(n, t); msg != "" {
			k.report(n.Line, path, msg)
		}
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Tag != "!!null" {
				k.report(n.Line, path, "want a mapping")
			}
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, v := n.Content[i], n.Content[i+1]
			sub := join(path, key.Value)
			ft, ok := fields[key.Value]
			if !ok {
				k.report(key.Line, sub, "unknown key "+strconv.Quote(key.Value)+" (known: "+knownKeys(fields)+")")
				continue
			}
			k.check(v, ft, sub)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if n.Tag != "!!null" {
				k.report(n.Line, path, "want a list, got "+nodeWords(n))
			}
			return
		}
		for i, item := range n.Content {
			k.check(item, t.Elem(), path+"["+strconv.Itoa(i)+"]")
		}
	case reflect.Map, reflect.Interface:
		if n.Kind != yaml.MappingNode {
			return
		}
		elem := t
		if t.Kind() == reflect.Map {
			elem = t.Elem()
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, v := n.Content[i], n.Content[i+1]
			sub := join(path, key.Value)
			k.lines[sub] = key.Line
			k.check(v, elem, sub)
		}
	}
}

// scalarProblem says why node n cannot be decoded into the scalar type t,
// in words ("want a whole number, got \"seven\""); "" when it can.
func scalarProblem(n *yaml.Node, t reflect.Type) string {
	if n.Tag == "!!null" {
		return ""
	}
	want := map[reflect.Kind]string{reflect.String: "text", reflect.Bool: "true or false",
		reflect.Float32: "a number", reflect.Float64: "a number"}[t.Kind()]
	if want == "" {
		want = "a whole number"
	}
	if n.Kind != yaml.ScalarNode || n.Decode(reflect.New(t).Interface()) != nil {
		return "want " + want + ", got " + nodeWords(n)
	}
	return ""
}

// nodeWords names what a node holds: a mapping, a list, or its quoted text.
func nodeWords(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = f.Type
	}
	return m
}

func knownKeys(m map[string]reflect.Type) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
