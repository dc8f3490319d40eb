package peers

import (
	"context"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/pool"
	"github.com/panjf2000/ants/v2"
	concpool "github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"
)

const (
	// batch is gevent's N for pool_map; limit is its Pool size.
	batch = 100_000
	limit = 100
)

func identity(_ context.Context, x int) (int, error) { return x, nil }

// batches runs f over b.N items in batches of at most 100,000, after an
// untimed warm-up of b.N/10 items (at most 10,000) and a garbage collection,
// as gevent's pool_map.py does.
func batches(b *testing.B, f func(n int) []int) {
	b.ReportAllocs()
	run := func(n int) {
		if out := f(n); len(out) != n || (n > 1 && out[n-1] != n-1) {
			b.Fatalf("got %d results", len(out))
		}
	}
	if warm := min(b.N/10, 10_000); warm > 0 {
		run(warm)
	}
	runtime.GC()
	b.ResetTimer()
	defer reportCPU(b)()
	for done := 0; done < b.N; done += batch {
		run(min(batch, b.N-done))
	}
}

func count(n int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

// BenchmarkPoolMapGevent is gevent-go's pool.Map on a Pool(100), run by the
// hub's main greenlet.
func BenchmarkPoolMapGevent(b *testing.B) {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		batches(b, func(n int) []int {
			out, err := pool.Map(ctx, pool.NewPool(limit), count(n), identity)
			if err != nil {
				b.Fatal(err)
			}
			return out
		})
		return nil
	})
}

// BenchmarkPoolMapErrgroup uses golang.org/x/sync/errgroup with SetLimit(100):
// one goroutine per item, each writing its slot of the result slice.
func BenchmarkPoolMapErrgroup(b *testing.B) {
	ctx := context.Background()
	batches(b, func(n int) []int {
		g, ctx := errgroup.WithContext(ctx)
		g.SetLimit(limit)
		out := make([]int, n)
		for i := range n {
			g.Go(func() error {
				v, err := identity(ctx, i)
				out[i] = v
				return err
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		return out
	})
}

// BenchmarkPoolMapConc uses github.com/sourcegraph/conc/pool with
// WithMaxGoroutines(100) (a ContextPool: errors and a context, like the
// errgroup variant), each task writing its slot of the result slice: conc's
// ResultPool does not keep input order in v0.3.0.
func BenchmarkPoolMapConc(b *testing.B) {
	ctx := context.Background()
	batches(b, func(n int) []int {
		p := concpool.New().WithContext(ctx).WithMaxGoroutines(limit)
		out := make([]int, n)
		for i := range n {
			p.Go(func(ctx context.Context) error {
				v, err := identity(ctx, i)
				out[i] = v
				return err
			})
		}
		if err := p.Wait(); err != nil {
			b.Fatal(err)
		}
		return out
	})
}

// BenchmarkPoolMapAnts uses github.com/panjf2000/ants/v2: a Pool of 100
// reused workers (Submit blocks while all are busy), each task writing its
// slot of the result slice, a WaitGroup for the end. ants has no result or
// error API of its own.
func BenchmarkPoolMapAnts(b *testing.B) {
	batches(b, func(n int) []int {
		p, err := ants.NewPool(limit)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Release()
		out := make([]int, n)
		var wg sync.WaitGroup
		wg.Add(n)
		for i := range n {
			if err := p.Submit(func() {
				defer wg.Done()
				out[i], _ = identity(nil, i)
			}); err != nil {
				b.Fatal(err)
			}
		}
		wg.Wait()
		return out
	})
}

// BenchmarkPoolMapPond uses github.com/alitto/pond/v2: a ResultPool of at
// most 100 workers and one task group, whose Wait returns the results in
// submission order, as gevent's map does.
func BenchmarkPoolMapPond(b *testing.B) {
	ctx := context.Background()
	batches(b, func(n int) []int {
		p := pond.NewResultPool[int](limit)
		defer p.StopAndWait()
		g := p.NewGroup()
		for i := range n {
			g.SubmitErr(func() (int, error) { return identity(ctx, i) })
		}
		out, err := g.Wait()
		if err != nil {
			b.Fatal(err)
		}
		return out
	})
}

// BenchmarkPoolMapRawGo is the raw-Go baseline: a goroutine per item, a
// semaphore channel of 100, results in input order.
func BenchmarkPoolMapRawGo(b *testing.B) {
	batches(b, func(n int) []int {
		sem := make(chan struct{}, limit)
		out := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i], _ = identity(nil, i)
				<-sem
			}()
		}
		wg.Wait()
		return out
	})
}

// reportCPU reports the process's CPU time per op as cpu-ns/op, beside the
// wall-clock ns/op: on a machine shared with other work it is the steadier
// figure.
func reportCPU(b *testing.B) (stop func()) {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
