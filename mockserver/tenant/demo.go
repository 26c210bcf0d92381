package tenant

import (
	_ "embed"
	"fmt"
)

//go:embed demo.yaml
var demoYAML []byte

// Demo returns a fresh copy of the embedded demo fixture, the default tenant
// of a mock server. See demo.yaml for its users, credentials and data.
func Demo() *Fixture {
	f, err := Parse("demo.yaml", demoYAML)
	if err != nil {
		panic(fmt.Sprintf("tenant: the embedded demo fixture is invalid: %v", err)) // a build defect, caught by tests
	}
	return f
}
