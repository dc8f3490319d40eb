package gevent_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/benchbatch"
)

// The multi-core rows (issue 12): a group of GOMAXPROCS hubs beside raw Go
// at the same GOMAXPROCS (BenchmarkSpawnJoinRawGo run with the same -cpu).

// runGroupBench runs body as the main greenlet of a group of GOMAXPROCS hubs.
func runGroupBench(b *testing.B, body func(ctx context.Context, hubs int)) {
	b.Helper()
	n := runtime.GOMAXPROCS(0)
	err := gevent.RunGroup(context.Background(), n, func(ctx context.Context) error {
		body(ctx, n)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// spawn_join over a group, the way a program that uses every core spawns:
// one driver greenlet per hub (placed by Spread), each spawning and joining
// its share of the batch on its own hub (locality: no cross-hub traffic but
// the drivers' start and end). ns per greenlet, as BenchmarkSpawnJoin.
func BenchmarkSpawnJoinGroup(b *testing.B) {
	b.ReportAllocs()
	runGroupBench(b, func(ctx context.Context, hubs int) {
		sctx := gevent.Spread(ctx)
		drivers := make([]gevent.Task, hubs)
		// Each hub's share of the task list is made once, as
		// BenchmarkSpawnJoin makes its list: growing it inside the timed
		// batch is the benchmark's allocation, not the library's.
		perHub := make([][]gevent.Task, hubs)
		for i := range perHub {
			perHub[i] = make([]gevent.Task, 0, min(b.N, batch)/hubs+1)
		}
		benchbatch.Run(b, batch, func(n int) {
			for i := range hubs {
				share := n / hubs
				if i < n%hubs {
					share++
				}
				tasks := perHub[i][:0]
				drivers[i] = gevent.Go(sctx, func(ctx context.Context) error {
					for range share {
						tasks = append(tasks, gevent.Spawn(ctx, noop))
					}
					_, err := gevent.JoinAll(ctx, tasks)
					perHub[i] = tasks[:0]
					return err
				})
			}
			if _, err := gevent.JoinAll(ctx, drivers, gevent.RaiseError()); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// spawn_join over a group with every greenlet spawned by main through
// Spread (placed round-robin) and joined by main: the cost of cross-hub
// spawns and joins, for comparison with BenchmarkSpawnJoinGroup.
func BenchmarkSpawnJoinGroupSpread(b *testing.B) {
	b.ReportAllocs()
	runGroupBench(b, func(ctx context.Context, hubs int) {
		sctx := gevent.Spread(ctx)
		tasks := make([]gevent.Task, 0, min(b.N, batch))
		benchbatch.Run(b, batch, func(n int) {
			tasks = tasks[:0]
			for range n {
				tasks = append(tasks, gevent.Spawn(sctx, noop))
			}
			if _, err := gevent.JoinAll(ctx, tasks); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// Placement policies compared (docs/performance.md): greenlets spawned by
// one goroutine through a group's Context, joined in batches of 1,000.
// "uniform": every greenlet does the same small work; "skewed": every
// second one does 20x more, which round-robin over an even number of hubs
// sends to the same hubs. ns per greenlet (wall time: the skew shows as one
// hub finishing late).
func BenchmarkGroupPlacement(b *testing.B) {
	for _, policy := range []string{"roundrobin", "leastloaded"} {
		for _, load := range []string{"uniform", "skewed"} {
			b.Run(policy+"/"+load, func(b *testing.B) {
				g := gevent.NewHubGroup(0)
				gevent.SetLeastLoaded(g, policy == "leastloaded")
				done := make(chan error, 1)
				go func() { done <- g.Serve(context.Background()) }()
				ctx := g.Context()
				tasks := make([]gevent.Task, 0, 1000)
				work := func(units int) func(context.Context) (int, error) {
					return func(context.Context) (int, error) {
						x := 0
						for i := range units * 200 {
							x += i * i
						}
						return x, nil
					}
				}
				light, heavy := work(1), work(20)
				if load == "uniform" {
					heavy = light
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; {
					tasks = tasks[:0]
					for ; len(tasks) < cap(tasks) && i < b.N; i++ {
						fn := light
						if i%2 == 0 {
							fn = heavy
						}
						tasks = append(tasks, gevent.Spawn(ctx, fn))
					}
					if _, err := gevent.JoinAll(context.Background(), tasks); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				g.Stop()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
