package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
)

// failAfter makes a test that hangs fail instead: after d it panics, which
// ends the test binary naming the test. It is disarmed when the test ends.
func failAfter(t *testing.T, d time.Duration) {
	t.Helper()
	name := t.Name()
	tm := time.AfterFunc(d, func() { panic(fmt.Sprintf("%s: still running after %v (hung)", name, d)) })
	t.Cleanup(func() { tm.Stop() })
}

// concurrency runs calls Blocking calls from as many greenlets on a hub
// made with opts and returns the most that ran at once. Each call waits
// until want calls have been running together at least once, so the count
// reaches want exactly when the hub allows it (and hangs otherwise).
func concurrency(t *testing.T, calls, want int, opts ...gevent.HubOption) int {
	t.Helper()
	var running, most atomic.Int32
	full := make(chan struct{})
	var once sync.Once
	geventtest.Run(t, func(ctx context.Context) error {
		gs := make([]*gevent.Greenlet[struct{}], calls)
		for i := range gs {
			gs[i] = gevent.Go(ctx, func(ctx context.Context) error {
				_, err := gevent.Blocking(ctx, func(context.Context) (struct{}, error) {
					n := running.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					if int(n) == want {
						once.Do(func() { close(full) })
					}
					<-full
					running.Add(-1)
					return struct{}{}, nil
				})
				return err
			})
		}
		for _, g := range gs {
			if _, err := g.Get(ctx); err != nil {
				return err
			}
		}
		return nil
	}, opts...)
	return int(most.Load())
}

// WithBlockingWorkers bounds the calls that run at once; the default is 64;
// a negative bound means none.
func TestBlockingWorkers(t *testing.T) {
	failAfter(t, time.Minute)
	for _, c := range []struct {
		name         string
		opts         []gevent.HubOption
		calls, bound int
	}{
		{"1", []gevent.HubOption{gevent.WithBlockingWorkers(1)}, 4, 1},
		{"3", []gevent.HubOption{gevent.WithBlockingWorkers(3)}, 12, 3},
		{"default", nil, 80, 64},
		{"unbounded", []gevent.HubOption{gevent.WithBlockingWorkers(-1)}, 200, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := concurrency(t, c.calls, c.bound, c.opts...); got != c.bound {
				t.Errorf("%d calls ran %d at once, want %d", c.calls, got, c.bound)
			}
		})
	}
	mustPanic(t, "WithBlockingWorkers(0)", func() { gevent.WithBlockingWorkers(0) }, "WithBlockingWorkers")
}

// A Blocking call whose caller gave up (killed, or its timeout expired)
// while the call waited for a worker never runs its function; the calls
// queued after it run, in order.
func TestBlockingAbandonedCallNeverRuns(t *testing.T) {
	failAfter(t, time.Minute)
	var log logger
	geventtest.Run(t, func(ctx context.Context) error {
		busy, release := make(chan struct{}), make(chan struct{})
		call := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				_, err := gevent.Blocking(ctx, func(context.Context) (struct{}, error) {
					log.add("%s ran", name)
					return struct{}{}, nil
				})
				return err
			}
		}
		// The only worker is busy until release is closed.
		first := gevent.Go(ctx, func(ctx context.Context) error {
			_, err := gevent.Blocking(ctx, func(context.Context) (struct{}, error) {
				close(busy)
				<-release
				log.add("first ran")
				return struct{}{}, nil
			})
			return err
		})
		gevent.Yield(ctx) // first submits its call
		<-busy            // (blocks the hub, briefly: nothing needs it meanwhile)

		killed := gevent.Go(ctx, call("killed"))
		timedOut := gevent.Go(ctx, func(ctx context.Context) error {
			tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
			defer cancel()
			return call("timed out")(tctx)
		})
		kept := gevent.Go(ctx, call("kept"))
		gevent.Yield(ctx) // all three queue behind first
		killed.Kill(ctx)
		if _, err := killed.Get(ctx); !errors.Is(err, gevent.ErrGreenletExit) {
			t.Errorf("killed caller: err = %v, want ErrGreenletExit", err)
		}
		if _, err := timedOut.Get(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("timed-out caller: err = %v, want its timeout", err)
		}
		close(release)
		if _, err := kept.Get(ctx); err != nil {
			return err
		}
		if _, err := first.Get(ctx); err != nil {
			return err
		}
		// One worker, FIFO: once "last" has run, the abandoned calls
		// between have been dequeued.
		return call("last")(ctx)
	}, gevent.WithBlockingWorkers(1), quiet())
	log.check(t, "first ran", "kept ran", "last ran")
}
