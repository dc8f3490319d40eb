package gevent_test

import (
	"context"
	"testing"

	"github.com/gevent-go/gevent"
)

type valueCtxKey struct{}

// BenchmarkSleepValueCtx is a 1 ns timer wait made with a value-only wrapper
// of the greenlet's context (context.WithValue, as logging and tracing add):
// the wait registers on the greenlet itself, as with its own context
// (BenchmarkSleepOwnCtx beside it), instead of watching the wrapper through
// context.AfterFunc and a Hold (before: about 7.5 µs and 6 allocations).
func BenchmarkSleepValueCtx(b *testing.B) {
	b.ReportAllocs()
	gevent.Run(context.Background(), func(ctx context.Context) error {
		vctx := context.WithValue(ctx, valueCtxKey{}, 1)
		for b.Loop() {
			if err := gevent.Sleep(vctx, 1); err != nil {
				b.Fatal(err)
			}
		}
		return nil
	})
}

// BenchmarkSleepOwnCtx is BenchmarkSleepValueCtx with the greenlet's own
// context: the floor.
func BenchmarkSleepOwnCtx(b *testing.B) {
	b.ReportAllocs()
	gevent.Run(context.Background(), func(ctx context.Context) error {
		for b.Loop() {
			if err := gevent.Sleep(ctx, 1); err != nil {
				b.Fatal(err)
			}
		}
		return nil
	})
}
