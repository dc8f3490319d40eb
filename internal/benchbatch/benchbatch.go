// Package benchbatch runs benchmarks shaped like gevent's batch scripts
// (spawn_join, sleep_timers, pool_map): a bounded number of ops alive at
// once, after the same untimed warm-up. It is shared by the library's
// benchmarks and the Go peers' (bench/peers) so that all of them measure
// alike; memory.go holds the memory_parked shapes, gevent-go's and raw
// Go's, shared by that row and the report's growth section.
package benchbatch

import (
	"runtime"
	"testing"
)

// Run runs b.N ops as do(n) calls of at most size ops each, after an
// untimed warm-up of b.N/10 ops (at most 10,000) and a garbage collection,
// as gevent's scripts do. Beside ns/op it reports the process's CPU time per
// op as cpu-ns/op (on Unix), the steadier figure on a shared machine (with
// GOMAXPROCS=1 it also counts the GC's background work).
func Run(b *testing.B, size int, do func(n int)) {
	warm := min(b.N/10, 10_000)
	for done := 0; done < warm; {
		n := min(size, warm-done) // do never gets more than size ops
		do(n)
		done += n
	}
	runtime.GC()
	b.ResetTimer()
	start := cpuTime()
	for done := 0; done < b.N; {
		n := min(size, b.N-done)
		do(n)
		done += n
	}
	if end := cpuTime(); start > 0 && end > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}
