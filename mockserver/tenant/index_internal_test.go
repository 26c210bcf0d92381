package tenant

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sorted key list survives keys added above it (appended) and keys
// removed (kept as stale keys, which ranges and ordered walks skip), and
// every range agrees with the map, whatever the order of writes.
func TestIndexSortedKeysStayCorrectUnderWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ix := newIndex[int64]()
	val := map[uint32]int64{} // slot → key
	next := int64(1000)
	for step := range 5000 {
		slot := uint32(rng.IntN(300))
		if old, ok := val[slot]; ok {
			ix.remove(old, slot)
			delete(val, slot)
		}
		if rng.IntN(10) > 0 {
			k := next // mostly later keys, as a clock gives
			if rng.IntN(5) == 0 {
				k = int64(rng.IntN(int(next)))
			} else {
				next += int64(rng.IntN(3))
			}
			ix.add(k, slot)
			val[slot] = k
		}
		if step%7 == 0 {
			keys := ix.keys()
			require.True(t, slices.IsSorted(keys), "step %d", step)
			lo := int64(rng.IntN(int(next) + 1))
			i, _ := slices.BinarySearch(keys, lo)
			got := ix.rangeUnion(keys, i, len(keys)).ToArray()
			var want []uint32
			for s, k := range val {
				if k >= lo {
					want = append(want, s)
				}
			}
			slices.Sort(want)
			if want == nil {
				want = []uint32{}
			}
			assert.Equal(t, want, got, "step %d: keys >= %d", step, lo)
			for k := range ix.m {
				_, found := slices.BinarySearch(keys, k)
				require.True(t, found, "step %d: key %d listed", step, k)
			}
		}
	}
}

// sortInt64s sorts as slices.Sort does, negative keys, shared bytes and
// duplicates included.
func TestSortInt64sMatchesSlicesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	gens := []func() int64{
		func() int64 { return int64(rng.Uint64()) },
		func() int64 { return 1_700_000_000 + rng.Int64N(100_000_000) },
		func() int64 { return rng.Int64N(5) - 2 },
		func() int64 { return -rng.Int64N(1 << 40) },
	}
	for _, n := range []int{0, 1, 255, 256, 1000, 70_000} {
		for g, gen := range gens {
			a := make([]int64, n)
			for i := range a {
				a[i] = gen()
			}
			want := slices.Clone(a)
			slices.Sort(want)
			sortInt64s(a)
			if !slices.Equal(a, want) {
				t.Fatalf("n %d generator %d: not sorted as slices.Sort sorts", n, g)
			}
		}
	}
}
