package main

import (
	"io"
	"strconv"
)

var ioEOF = io.EOF

func itoa(i int) string { return strconv.Itoa(i) }

// noEnv is an empty environment, so that the tests do not depend on the
// TENANTKIT_* variables of the shell that runs them.
func noEnv(string) string { return "" }

// env is an environment holding the given variables.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}
