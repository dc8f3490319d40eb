package pool_test

import (
	"context"
	"sync"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/benchbatch"
	"github.com/gevent-go/gevent/pool"
)

// mapBatch is gevent's N for pool_map (bench/gevent/pool_map.py).
const mapBatch = 100_000

func identity(_ context.Context, x int) (int, error) { return x, nil }

// BenchmarkPoolMap is the pool_map row: Pool(100).Map(identity, 0..N-1), the
// pool created inside the timed region, in batches of 100,000 items; one op
// is one item.
func BenchmarkPoolMap(b *testing.B) {
	b.ReportAllocs()
	gevent.Run(context.Background(), func(ctx context.Context) error {
		benchbatch.Run(b, mapBatch, func(n int) {
			out, err := pool.Map(ctx, pool.NewPool(100), count(n), identity)
			if err != nil || len(out) != n {
				b.Fatalf("Map = %d results, %v", len(out), err)
			}
		})
		return nil
	})
}

// BenchmarkPoolMapRawGo is the raw-Go baseline for pool_map: a goroutine per
// item, at most 100 at once (a semaphore channel), results in input order.
func BenchmarkPoolMapRawGo(b *testing.B) {
	b.ReportAllocs()
	benchbatch.Run(b, mapBatch, func(n int) {
		if out := rawMap(n, 100); len(out) != n {
			b.Fatal("short result")
		}
	})
}

func rawMap(n, limit int) []int {
	sem := make(chan struct{}, limit)
	out := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], _ = identity(context.Background(), i)
			<-sem
		}()
	}
	wg.Wait()
	return out
}

// BenchmarkPoolMapFloorSpawnJoin is what the hub alone costs for the same
// work: greenlets spawned 100 at a time and joined, no pool. The gap to
// BenchmarkPoolMap is the pool's bookkeeping.
func BenchmarkPoolMapFloorSpawnJoin(b *testing.B) { floorSpawnJoin(b, false) }

// BenchmarkPoolMapFloorSpawnJoinOnReady adds one OnReady callback per
// greenlet, which every pool member needs (to leave the group): most of the
// gap between the floor and BenchmarkPoolMap is this callback's cost in the
// root package (two allocations and a queued notification per greenlet).
func BenchmarkPoolMapFloorSpawnJoinOnReady(b *testing.B) { floorSpawnJoin(b, true) }

func floorSpawnJoin(b *testing.B, onReady bool) {
	b.ReportAllocs()
	gevent.Run(context.Background(), func(ctx context.Context) error {
		ts := make([]gevent.Task, 0, 100)
		n := 0
		f := func() { n++ }
		benchbatch.Run(b, 100, func(batch int) {
			ts = ts[:0]
			for j := range batch {
				g := gevent.New(ctx, func(ctx context.Context) (int, error) { return identity(ctx, j) })
				if onReady {
					g.OnReady(f)
				}
				g.Start()
				ts = append(ts, g)
			}
			if _, err := gevent.JoinAll(ctx, ts); err != nil {
				b.Fatal(err)
			}
		})
		return nil
	})
}
