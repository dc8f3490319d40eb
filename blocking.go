package gevent

import (
	"context"

	"github.com/gevent-go/gevent/internal/core"
)

// defaultBlockingWorkers is the number of Blocking calls a hub runs at once
// unless WithBlockingWorkers says otherwise (gevent's threadpool has a
// maxsize of 10; goroutines are cheaper than threads, hence a larger one).
const defaultBlockingWorkers = 64

// WithBlockingWorkers bounds the worker goroutines that run the hub's
// Blocking calls at once: n > 0 workers (64 when the option is not given),
// n < 0 no bound (a goroutine per concurrent call, as errgroup's
// SetLimit(-1)). Calls beyond the bound queue in FIFO order; a queued call
// whose caller gives up is dropped without running. Idle workers are reused
// and stop when the hub closes. n == 0 panics.
func WithBlockingWorkers(n int) HubOption {
	if n == 0 {
		panic("gevent: WithBlockingWorkers(0): a hub needs at least one worker (negative: no bound)")
	}
	return HubOption{func(o *core.Options) { o.BlockingWorkers = n }}
}

// Blocking runs fn on a worker goroutine while the calling greenlet parks,
// so that code which blocks outside the library (a mutex, a file, a cgo call,
// a plain net.Conn) does not block the hub (gevent's threadpool.apply). The
// workers belong to the hub and are reused; at most 64 run at once unless
// the hub was made WithBlockingWorkers, further calls queue.
//
// fn gets a context with ctx's values and cancellation but no greenlet: the
// library's blocking calls made with it block the worker. When ctx is
// cancelled (the greenlet is killed, a timeout expires) Blocking returns at
// once with the cause: a call still queued is dropped and fn never runs; a
// running fn has its context cancelled too and its result is dropped. The
// hub does not finish stopping until running workers return. From a plain
// goroutine, Blocking simply calls fn.
//
// In a simulation (package sim) fn runs inline on the calling greenlet, with
// a context that carries no greenlet: the hub waits for it and virtual time
// does not pass (then the simulation's BlockingCost is slept), and a kill
// during fn is seen when it returns. A worker's completion would land in the
// run queue at a point that depends on real time.
func Blocking[T any](ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	if ctx == nil {
		panic("gevent: Blocking: nil ctx")
	}
	if fn == nil {
		panic("gevent: Blocking: nil fn")
	}
	var zero T
	g := core.Current(ctx)
	if g == nil {
		if err := core.Cause(ctx); err != nil {
			return zero, err
		}
		return fn(ctx)
	}
	if s := g.Hub().Sim(); s != nil {
		return blockingInline(ctx, s, fn)
	}
	o, err := core.NewOffload[T](ctx)
	if err != nil {
		return zero, err
	}
	o.Describe("", fn) // the kind says "blocking"
	jctx, cancel := context.WithCancelCause(core.Detach(ctx))
	g.Hub().SubmitBlocking(defaultBlockingWorkers, func() {
		o.Run(func() (T, error) {
			defer cancel(nil)
			return fn(jctx)
		})
	})
	v, ferr, cause := o.Wait(ctx)
	if cause != nil {
		cancel(cause)
		o.Abandon(nil)
		return zero, cause
	}
	return v, ferr
}

// blockingInline is Blocking in a simulation: fn on the caller's coroutine.
func blockingInline[T any](ctx context.Context, s *core.Sim, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	if err := core.Cause(ctx); err != nil {
		return zero, err
	}
	v, err := fn(core.Detach(ctx))
	if cerr := s.Sleep(ctx, s.Options().BlockingCost); cerr != nil {
		return zero, cerr
	}
	if cerr := core.Cause(ctx); cerr != nil {
		return zero, cerr
	}
	return v, err
}
