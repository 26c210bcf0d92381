package tenant

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Demo decodes each copy from a tree parsed once: every copy is what
// parsing the embedded text gives, and a change to one copy (its users,
// its data) is not seen by the next, also when copies are made at once.
func TestDemoCopiesAreWholeAndIndependent(t *testing.T) {
	want, err := Parse(demoName, demoYAML)
	require.NoError(t, err)
	var wg sync.WaitGroup
	copies := make([]*Fixture, 8)
	for i := range copies {
		wg.Go(func() { copies[i] = Demo() })
	}
	wg.Wait()
	for _, f := range copies {
		require.Equal(t, want, f)
	}
	f := copies[0]
	require.NotEmpty(t, f.Users)
	f.Users[0].Name = "changed"
	f.Users = append(f.Users, f.Users[0])
	for k := range f.lines {
		f.lines[k] = -1
	}
	require.NotEmpty(t, f.Entities)
	for _, e := range f.Entities {
		for k := range e.Fields {
			e.Fields[k] = "changed"
		}
	}
	require.Equal(t, want, Demo())
}
