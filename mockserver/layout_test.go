package mockserver_test

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLayoutDependenciesPointOneWay holds the mock's packages to the
// layout doc.go describes, reading what each imports (directly or not)
// with go list: the decision imports none of the rooms around it; the
// request path (internal/pipeline) imports neither the resilience layer,
// nor a handler, nor the server; the resilience layer imports no handler
// and not the server; an API's handlers import no other API's handlers,
// not the resilience layer and not the server; the console reads the
// tenant store and the reports, nothing of the request path. Only the
// server (this package) composes them.
func TestLayoutDependenciesPointOneWay(t *testing.T) {
	const mod = "github.com/tenantkit/tenantkit/mockserver"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		var stderr string
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	deps := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) > 0 {
			deps[f[0]] = f[1:]
		}
	}
	var handlers []string
	for p := range deps {
		if strings.HasPrefix(p, mod+"/internal/handlers/") {
			handlers = append(handlers, p)
		}
	}
	slices.Sort(handlers)
	if len(handlers) < 4 {
		t.Fatalf("found the handler packages %v; want data, credentials, relationship and token", handlers)
	}
	var (
		root       = mod
		pipeline   = mod + "/internal/pipeline"
		resilience = mod + "/internal/resilience"
		decide     = mod + "/internal/decide"
		render     = mod + "/internal/render"
		console    = mod + "/console"
	)
	forbid := func(pkg string, not ...string) {
		t.Helper()
		d, ok := deps[pkg]
		if !ok {
			t.Errorf("no package %s", pkg)
			return
		}
		for _, n := range not {
			if slices.Contains(d, n) {
				t.Errorf("%s imports %s", pkg, n)
			}
		}
	}
	forbid(decide, append([]string{root, pipeline, resilience, render}, handlers...)...)
	forbid(pipeline, append([]string{root, resilience, render}, handlers...)...)
	forbid(render, append([]string{root, pipeline, resilience}, handlers...)...)
	forbid(resilience, append([]string{root}, handlers...)...)
	// The console reads the tenant store and the reports; it acts only
	// through the admin API, from the page.
	forbid(console, append([]string{root, pipeline, resilience, render}, handlers...)...)
	for _, h := range handlers {
		others := slices.DeleteFunc(slices.Clone(handlers), func(o string) bool { return o == h })
		forbid(h, append([]string{root, resilience}, others...)...)
	}
}
