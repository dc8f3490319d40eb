package event_test

import (
	"testing"

	"github.com/gevent-go/gevent/internal/benchbatch"
)

// memoryParkedMax caps how many greenlets the memory_parked benchmarks park
// at once: gevent's N. A default -bench run ramps b.N far beyond it and
// would otherwise park millions.
const memoryParkedMax = 100_000

// BenchmarkMemoryParked is gevent's memory_parked row: the growth of the
// process's VmRSS per greenlet parked in one Event.Wait, reported as
// bytes/greenlet. It means something only as the first measurement of a
// fresh process (freed goroutine stacks are reused within a process), with
// -benchtime 100000x: cmd/geventbench runs it that way. b.N above 100,000
// parks 100,000.
func BenchmarkMemoryParked(b *testing.B) {
	benchbatch.MemoryParked(b, min(b.N, memoryParkedMax))
}

// BenchmarkMemoryParkedRawGo is the raw-Go shape of memory_parked: VmRSS
// growth per goroutine parked on one channel.
func BenchmarkMemoryParkedRawGo(b *testing.B) {
	benchbatch.MemoryParkedRawGo(b, min(b.N, memoryParkedMax))
}

// BenchmarkMemoryParkedFloorPull is memory_parked's floor (design §8): VmRSS
// growth per bare iter.Pull coroutine parked in its yield, the part of a
// parked greenlet the execution model fixes before the library adds its
// handle and wait. As BenchmarkMemoryParked, a first measurement of a fresh
// process with -benchtime 100000x.
func BenchmarkMemoryParkedFloorPull(b *testing.B) {
	benchbatch.MemoryParkedFloorPull(b, min(b.N, memoryParkedMax))
}
