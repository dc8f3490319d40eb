package gevent_test

// Growth benchmarks: three rows of bench/gevent/README.md (spawn_join,
// sleep_timers, memory_parked) at N = 1k, 10k, 100k and 1M, beside their
// raw-Go shapes, so that cmd/geventbench can draw how each cost grows with
// the number of greenlets alive at once. Each is a sub-benchmark per N,
// named N=<n>; run one at exactly its N, as gevent's script with --n N does:
//
//	go test -run '^$' -bench '^BenchmarkGrowthSpawnJoin$/^N=100000$' -benchtime 100000x -cpu 1
//
// The rows' own benchmarks (bench_test.go, event/) stay at gevent's N of
// 100k; these repeat their shape with N as the batch size.

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/benchbatch"
)

// growthSizes are the N of the growth benchmarks, as cmd/geventbench's
// growth section names them.
var growthSizes = []int{1_000, 10_000, 100_000, 1_000_000}

// eachGrowthSize runs bench as one sub-benchmark per N of growthSizes.
func eachGrowthSize(b *testing.B, bench func(b *testing.B, n int)) {
	for _, n := range growthSizes {
		b.Run("N="+strconv.Itoa(n), func(b *testing.B) { bench(b, n) })
	}
}

// spawn_join with n greenlets spawned before one JoinAll: ns per greenlet.
// With -benchtime Nx, one timed batch of N after an untimed N/10 warm-up.
func BenchmarkGrowthSpawnJoin(b *testing.B) {
	eachGrowthSize(b, func(b *testing.B, n int) {
		b.ReportAllocs()
		runBench(b, func(ctx context.Context) {
			tasks := make([]gevent.Task, 0, min(b.N, n))
			benchbatch.Run(b, n, func(k int) {
				tasks = tasks[:0]
				for range k {
					tasks = append(tasks, gevent.Spawn(ctx, noop))
				}
				if _, err := gevent.JoinAll(ctx, tasks); err != nil {
					b.Fatal(err)
				}
			})
		})
	})
}

// The raw-Go shape of spawn_join at each N: n goroutines, one WaitGroup.
func BenchmarkGrowthSpawnJoinRawGo(b *testing.B) {
	eachGrowthSize(b, func(b *testing.B, n int) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		benchbatch.Run(b, n, func(k int) {
			wg.Add(k)
			for range k {
				go wg.Done()
			}
			wg.Wait()
		})
	})
}

// growthSleeps returns n distinct sleeps in shuffled order (seed 1), the
// longest 1 ms: greenlet k sleeps 1ms*(p(k)+1)/n, as sleep_timers.py --n n.
func growthSleeps(n int) []time.Duration {
	r := rand.New(rand.NewPCG(1, 1))
	ds := make([]time.Duration, n)
	for k, p := range r.Perm(n) {
		ds[k] = time.Millisecond * time.Duration(p+1) / time.Duration(n)
	}
	return ds
}

// sleep_timers with n sleeping greenlets per batch: ns per greenlet.
func BenchmarkGrowthSleepTimers(b *testing.B) {
	eachGrowthSize(b, func(b *testing.B, n int) {
		b.ReportAllocs()
		ds := growthSleeps(n)
		runBench(b, func(ctx context.Context) {
			tasks := make([]gevent.Task, 0, min(b.N, n))
			benchbatch.Run(b, n, func(k int) {
				tasks = tasks[:0]
				for i := range k {
					d := ds[i]
					tasks = append(tasks, gevent.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
						return struct{}{}, gevent.Sleep(ctx, d)
					}))
				}
				if _, err := gevent.JoinAll(ctx, tasks); err != nil {
					b.Fatal(err)
				}
			})
		})
	})
}

// The raw-Go shape of sleep_timers at each N: a goroutine per op in
// time.Sleep.
func BenchmarkGrowthSleepTimersRawGo(b *testing.B) {
	eachGrowthSize(b, func(b *testing.B, n int) {
		b.ReportAllocs()
		ds := growthSleeps(n)
		var wg sync.WaitGroup
		benchbatch.Run(b, n, func(k int) {
			wg.Add(k)
			for i := range k {
				go func() {
					defer wg.Done()
					time.Sleep(ds[i])
				}()
			}
			wg.Wait()
		})
	})
}

// memory_parked at each N: VmRSS growth per greenlet parked in one
// event.Event.Wait, as bytes/greenlet. It parks min(b.N, N): run it with
// -benchtime Nx in a fresh process (the first iteration, b.N = 1, parks
// one), since freed goroutine stacks are reused within a process. A default
// -bench run parks up to a million (about 3.4 GB).
func BenchmarkGrowthMemoryParked(b *testing.B) {
	eachGrowthSize(b, func(b *testing.B, size int) { benchbatch.MemoryParked(b, min(b.N, size)) })
}

// The raw-Go shape of memory_parked at each N: goroutines parked receiving
// from one channel.
func BenchmarkGrowthMemoryParkedRawGo(b *testing.B) {
	eachGrowthSize(b, func(b *testing.B, size int) { benchbatch.MemoryParkedRawGo(b, min(b.N, size)) })
}
