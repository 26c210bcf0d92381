// Package heapfloor lets a process whose live heap is small grow its heap
// to a floor before the garbage collector runs again.
//
// With the default GOGC=100 a collection starts when the heap reaches twice
// what the last one left live. A mock tenant holds a few MB, and a server
// under load allocates that much in a few thousand requests (net/http's
// request and response state alone are a few KB each), so it collects tens
// of times a second and each cycle scans the whole live heap: about 7% of
// cmd/mock's CPU under wrk. Raising GOGC while the live heap is below the
// floor spaces the cycles out at a memory cost bounded by the floor; once
// the live heap passes half the floor, GOGC is 100 again, so a large tenant
// (a million generated rows) costs what it did.
package heapfloor

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// Floor is cmd/mock's floor: 64 MiB, a few times the demo tenant's live
// heap and a small share of a laptop's memory.
const Floor = 64 << 20

// Percent is the GOGC value that puts the next collection at floor bytes
// of heap when live bytes survived the last one, and never below 100 (the
// default: a collection at twice the live heap).
func Percent(live, floor uint64) int {
	if live == 0 || live >= floor/2 {
		return 100
	}
	return int(min(float64(floor-live)*100/float64(live), math.MaxInt32/2))
}

// Keep adjusts GOGC after every collection so that the heap may grow to
// floor bytes before the next one (see Percent). It does nothing when the
// environment, read through getenv, sets GOGC or GOMEMLIMIT: whoever set
// them chose the collector's pace. stop ends the adjustments and puts GOGC
// back to what it was.
//
// GOGC is the process's: while one Keep is in effect, another (a second
// server in the same process, as in cmd/mock's tests) does nothing, so that
// two keepers never restore each other's values.
func Keep(floor uint64, getenv func(string) string) (stop func()) {
	if floor == 0 || getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" || !active.CompareAndSwap(false, true) {
		return func() {}
	}
	k := &keeper{floor: floor, sample: []metrics.Sample{{Name: liveMetric}}, last: 100}
	k.adjust()
	k.arm()
	return k.stop
}

// active says whether a Keep is in effect.
var active atomic.Bool

// liveMetric is the heap the last collection left live.
const liveMetric = "/gc/heap/live:bytes"

type keeper struct {
	floor  uint64
	mu     sync.Mutex
	sample []metrics.Sample
	last   int
	// orig is GOGC before the first change, restored by stop; set says
	// whether there was a change.
	orig int
	set  bool
	done bool
}

// sentinel is an allocation whose only purpose is to become garbage: its
// cleanup runs once a collection has found it unreachable, that is after
// each cycle. It holds a pointer so that the tiny allocator, which batches
// small pointer-free objects, does not keep it alive with its neighbours.
type sentinel struct {
	_ *byte
	_ [8]byte
}

func (k *keeper) arm() {
	runtime.AddCleanup(new(sentinel), func(k *keeper) {
		if k.adjust() {
			k.arm()
		}
	}, k)
}

// adjust sets GOGC from the live heap, unless the keeper was stopped; it
// reports whether to go on. GOGC changes only when the new value differs
// by more than an eighth, so a live heap that wobbles leaves it alone.
func (k *keeper) adjust() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.done {
		return false
	}
	metrics.Read(k.sample)
	if k.sample[0].Value.Kind() != metrics.KindUint64 {
		return false // a runtime without the metric: leave GOGC alone
	}
	p := Percent(k.sample[0].Value.Uint64(), k.floor)
	if d := p - k.last; d > k.last/8 || -d > k.last/8 {
		old := debug.SetGCPercent(p)
		if !k.set {
			k.orig, k.set = old, true
		}
		k.last = p
	}
	return true
}

func (k *keeper) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.done {
		k.done = true
		if k.set {
			debug.SetGCPercent(k.orig)
		}
		active.Store(false)
	}
}
