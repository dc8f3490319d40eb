package gevent_test

import (
	"context"
	"testing"

	"github.com/gevent-go/gevent"
)

func BenchmarkQuickSpawnJoin(b *testing.B) {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		const batch = 100000
		tasks := make([]gevent.Task, 0, batch)
		fn := func(context.Context) (struct{}, error) { return struct{}{}, nil }
		b.ResetTimer()
		for i := 0; i < b.N; i += batch {
			n := min(batch, b.N-i)
			tasks = tasks[:0]
			for range n {
				tasks = append(tasks, gevent.Spawn(ctx, fn))
			}
			gevent.JoinAll(ctx, tasks)
		}
		return nil
	})
}

func BenchmarkQuickYield(b *testing.B) {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		f := func(ctx context.Context) (struct{}, error) {
			for range b.N / 2 {
				gevent.Yield(ctx)
			}
			return struct{}{}, nil
		}
		b.ResetTimer()
		a := gevent.Spawn(ctx, f)
		c := gevent.Spawn(ctx, f)
		gevent.JoinAll(ctx, []gevent.Task{a, c})
		return nil
	})
}
