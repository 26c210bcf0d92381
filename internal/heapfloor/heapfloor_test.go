package heapfloor

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPercentPutsTheNextCollectionAtTheFloor(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live, floor uint64
		want        int
	}{
		{live: 4 * mib, floor: 64 * mib, want: 1500}, // 4 MiB × 16 = 64 MiB
		{live: 16 * mib, floor: 64 * mib, want: 300},
		{live: 32 * mib, floor: 64 * mib, want: 100}, // half the floor: the default
		{live: 500 * mib, floor: 64 * mib, want: 100},
		{live: 0, floor: 64 * mib, want: 100},
		{live: 1, floor: 1 << 62, want: 1<<31/2 - 1}, // bounded
	} {
		got := Percent(tc.live, tc.floor)
		assert.Equal(t, tc.want, got, "live %d floor %d", tc.live, tc.floor)
		if tc.live > 0 && got < 1<<30-1 {
			goal := tc.live + tc.live*uint64(got)/100
			assert.GreaterOrEqual(t, goal, min(tc.floor, 2*tc.live)-tc.live/100, "the goal reaches the floor or twice the live heap")
		}
	}
}

// gogc is the collector's current percentage, read without changing it.
func gogc(t *testing.T) uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	require.Equal(t, metrics.KindUint64, s[0].Value.Kind())
	return s[0].Value.Uint64()
}

func TestKeepRaisesGOGCOverASmallHeapAndStopRestoresIt(t *testing.T) {
	before := gogc(t)
	stop := Keep(1<<40, func(string) string { return "" }) // a floor no test heap reaches
	defer stop()
	// Adjustments follow collections, on the runtime's cleanup goroutine.
	runtime.GC()
	deadline := time.Now().Add(5 * time.Second)
	for gogc(t) <= 1000 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	assert.Greater(t, gogc(t), uint64(1000), "still raised after collections")
	// A second keeper while this one runs does nothing: once the first
	// has restored GOGC, the second's stop must not raise it again.
	second := Keep(1<<40, func(string) string { return "" })
	defer second()
	stop()
	assert.Equal(t, before, gogc(t))
	second()
	assert.Equal(t, before, gogc(t), "a second keeper's stop put its own value back")
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, before, gogc(t), "no adjustment after stop")
}

func TestKeepLeavesAnExplicitSettingAlone(t *testing.T) {
	before := gogc(t)
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		stop := Keep(1<<40, func(k string) string {
			if k == name {
				return "200"
			}
			return ""
		})
		runtime.GC()
		assert.Equal(t, before, gogc(t), name)
		stop()
	}
}
