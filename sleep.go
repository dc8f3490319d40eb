package gevent

import (
	"context"
	"runtime"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// Sleep parks the calling greenlet for d while the hub runs others. d <= 0
// is Yield. It returns nil after d, or ctx's cause as soon as ctx is
// cancelled (at once if it already is: cancellation is level-triggered).
// From a plain goroutine it blocks that goroutine.
func Sleep(ctx context.Context, d time.Duration) error {
	if ctx == nil {
		panic("gevent: Sleep: nil ctx")
	}
	if d <= 0 {
		return Yield(ctx)
	}
	if err := core.Cause(ctx); err != nil {
		return err
	}
	g := core.Current(ctx)
	if g == nil {
		core.CheckNotInCallback(ctx)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return core.Cause(ctx)
		}
	}
	return g.Hub().Sleep(ctx, g, d)
}

// Yield puts the calling greenlet at the back of the hub's callback queue and
// runs everything queued before it (gevent's sleep(0)). It returns ctx's
// cause without switching when ctx is already cancelled, and nil otherwise:
// a greenlet killed while it yields sees the kill at its next switch point.
// From a plain goroutine it is runtime.Gosched.
func Yield(ctx context.Context) error {
	return core.YieldCall(ctx, "gevent: Yield: nil ctx")
}

// Idle parks the calling greenlet until an iteration of the hub's loop has
// nothing else to do: no queued callbacks, no due timers, no I/O.
func Idle(ctx context.Context) error {
	if ctx == nil {
		panic("gevent: Idle: nil ctx")
	}
	if err := core.Cause(ctx); err != nil {
		return err
	}
	g := core.Current(ctx)
	if g == nil {
		runtime.Gosched()
		return nil
	}
	return g.Hub().Idle(ctx, g)
}

// Current returns the greenlet running on ctx's hub (gevent's getcurrent),
// or nil from a plain goroutine or a greenlet without a handle (started by
// SpawnRaw, or running a Link callback).
func Current(ctx context.Context) Task {
	if ctx == nil {
		panic("gevent: Current: nil ctx")
	}
	g := core.Current(ctx)
	if g == nil {
		return nil
	}
	return taskOf(g)
}
