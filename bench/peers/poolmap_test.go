package peers

import (
	"context"
	"sync"
	"testing"

	"github.com/alitto/pond/v2"
	"github.com/gevent-go/gevent/internal/benchbatch"
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

// batches runs f over b.N items like the library's pool_map benchmark
// (benchbatch.Run: batches of 100,000 after gevent's warm-up), checking the
// results.
func batches(b *testing.B, f func(n int) []int) {
	b.ReportAllocs()
	benchbatch.Run(b, batch, func(n int) {
		if out := f(n); len(out) != n || (n > 1 && out[n-1] != n-1) {
			b.Fatalf("got %d results", len(out))
		}
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
				out[i], _ = identity(context.Background(), i) // ants passes no context
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
