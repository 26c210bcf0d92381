package tenant

import (
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var fixtureType = reflect.TypeFor[Fixture]()

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
			return // yaml.v3 reports the type error with its line
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
