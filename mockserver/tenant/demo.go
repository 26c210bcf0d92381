package tenant

import (
	_ "embed"
	"fmt"
	"maps"
	"sync"

	"gopkg.in/yaml.v3"
)

//go:embed demo.yaml
var demoYAML []byte

// Demo returns a fresh copy of the embedded demo fixture, the default tenant
// of a mock server. See demo.yaml for its users, credentials and data.
//
// The text is parsed and its keys checked once a process (that was most of
// a server's start); each copy is decoded from the parsed tree and
// validated, so no two copies share anything a caller may change.
func Demo() *Fixture {
	d := demoDoc()
	f := &Fixture{}
	err := d.doc.Decode(f)
	if err == nil {
		f.file, f.lines = demoName, maps.Clone(d.lines)
		err = f.ValidateWith(nil)
	}
	if err != nil {
		panic(fmt.Sprintf("tenant: the embedded demo fixture is invalid: %v", err)) // a build defect, caught by tests
	}
	return f
}

const demoName = "demo.yaml"

// demo is the embedded demo fixture's parsed YAML mapping and the line of
// each of its field paths.
type demo struct {
	doc   *yaml.Node
	lines map[string]int
}

var demoDoc = sync.OnceValue(func() demo {
	f, err := Parse(demoName, demoYAML) // every check a fixture file gets, once
	if err != nil {
		panic(fmt.Sprintf("tenant: the embedded demo fixture is invalid: %v", err))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(demoYAML, &root); err != nil || len(root.Content) != 1 {
		panic(fmt.Sprintf("tenant: the embedded demo fixture is invalid: %v", err))
	}
	return demo{doc: root.Content[0], lines: f.lines}
})
