package gevent_test

import (
	"context"
	"runtime/pprof"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/benchbatch"
)

// spawn_join with every greenlet spawned inside pprof.Do: each start adopts
// the spawn context's labels (compare with BenchmarkSpawnJoin, whose
// greenlets have none and set nothing).
func BenchmarkSpawnJoinLabels(b *testing.B) {
	b.ReportAllocs()
	runBench(b, func(ctx context.Context) {
		pprof.Do(ctx, pprof.Labels("req", "1"), func(ctx context.Context) {
			tasks := make([]gevent.Task, 0, min(b.N, batch))
			benchbatch.Run(b, batch, func(n int) {
				tasks = tasks[:0]
				for range n {
					tasks = append(tasks, gevent.Spawn(ctx, noop))
				}
				if _, err := gevent.JoinAll(ctx, tasks); err != nil {
					b.Fatal(err)
				}
			})
		})
	})
}
