package mocktest_test

import (
	"testing"

	"github.com/tenantkit/tenantkit/mockserver/mocktest"
)

// cleanupTB runs its cleanups when told, so a benchmark can start and close
// one server per iteration.
type cleanupTB struct {
	testing.TB
	fns []func()
}

func (c *cleanupTB) Cleanup(f func()) { c.fns = append(c.fns, f) }

func (c *cleanupTB) close() {
	for i := len(c.fns) - 1; i >= 0; i-- {
		c.fns[i]()
	}
	c.fns = c.fns[:0]
}

// BenchmarkStart measures what every test calling Start pays: a mock with
// the demo tenant on a loopback listener, then its cleanup.
//
//	go test -run '^$' -bench Start -benchmem ./mockserver/mocktest/
func BenchmarkStart(b *testing.B) {
	tb := &cleanupTB{TB: b}
	for b.Loop() {
		mocktest.Start(tb)
		tb.close()
	}
}
