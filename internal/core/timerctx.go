package core

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"
)

// TimerCtx is a context cancelled when its timer expires, with a cause that
// carries identity (the root package's *Timeout). When its parent belongs to
// a hub, the timer lives in that hub's heap; otherwise it is a runtime timer.
// It can be stopped and started again (gevent's Timeout.cancel and start).
type TimerCtx struct {
	canceler

	// parent, values, hub and self are written by Start and read by the
	// context methods of whoever holds this context; as with any context,
	// Start must happen before the context is handed out.
	parent context.Context
	values context.Context
	hub    *Hub
	g      *G    // the greenlet whose context parent derives from, if any
	self   error // the cause delivered on expiry

	t  timer       // in hub's heap
	rt *time.Timer // runtime timer when there is no hub
	// rtRun is run<<1 | armed for the runtime timer: Start arms a new run,
	// and the firing and Stop race to disarm it with one compare-and-swap,
	// so that a callback already on its way when Stop ran can never cancel
	// a restart. rtFiring counts firings under way (from before their
	// compare-and-swap to the end of expire); Stop waits them out, so that
	// after Stop the context's state is final.
	rtRun    atomic.Uint64
	rtFiring atomic.Int32
	// parentStop stops the watch on the parent that Done started; guarded
	// by mu.
	parentStop func() bool
	// deadline is the wall-clock expiry of a runtime timer.
	deadline time.Time
	// scope is gen<<1 | active: tc as a timeout scope of g (scope.go).
	scope atomic.Uint64
	// cancelOnly marks a context of StartCancel: no timer, no deadline of
	// its own (cancelctx.go).
	cancelOnly bool
}

// Init prepares tc to deliver cause on expiry. It must be called once, before
// the first Start.
func (tc *TimerCtx) Init(cause error) {
	tc.self = cause
	tc.t.kind = timerExpire
	tc.t.prio = prioTimeout
}

// Start (re)arms tc to expire d from now, with parent as its parent context,
// and reports false (doing nothing) if tc is already pending. tc must be
// Reusable.
func (tc *TimerCtx) Start(parent context.Context, d time.Duration) bool {
	if !tc.Reusable() {
		panic("gevent: internal error: TimerCtx restarted after it was cancelled or observed")
	}
	tc.parent = parent
	if tc.values == nil || tc.values != parent {
		tc.values = valuesParent(parent)
	}
	h := HubOf(parent)
	tc.hub = h
	tc.g = GreenletOf(parent)
	if h != nil {
		if !h.armTimer(&tc.t, d) {
			return false
		}
		if g := tc.g; g != nil && h.current == g {
			// Started by the greenlet itself: a scope of all its waits.
			g.enterScope(tc)
		}
		return true
	}
	if d < 0 {
		d = 0
	}
	if tc.Pending() {
		return false
	}
	tc.deadline = time.Now().Add(d)
	armed := (tc.rtRun.Load()>>1+1)<<1 | 1
	tc.rtRun.Store(armed)
	// A timer per run (this path serves only contexts without a hub): a
	// reused timer's late callback could not tell its run from the next.
	tc.rt = time.AfterFunc(d, func() {
		tc.rtFiring.Add(1)
		if tc.rtRun.CompareAndSwap(armed, armed&^1) {
			tc.expire()
		}
		tc.rtFiring.Add(-1)
	})
	return true
}

// Reusable reports whether Start may arm tc again: it was never cancelled
// and nobody holds its Done channel (a context must never become
// un-cancelled, and a watcher of an old run must not see a new one).
func (tc *TimerCtx) Reusable() bool { return !tc.cancelled.Load() && !tc.hasDone() }

// Stop disarms the timer without cancelling the context, ends its scope, and
// reports whether it was pending.
func (tc *TimerCtx) Stop() bool {
	tc.leaveScope()
	if tc.hub != nil {
		return tc.hub.delTimer(&tc.t)
	}
	if tc.rt == nil {
		return false
	}
	tc.rt.Stop()
	if s := tc.rtRun.Load(); s&1 == 1 && tc.rtRun.CompareAndSwap(s, s&^1) {
		return true // a firing on its way now claims nothing
	}
	for tc.rtFiring.Load() > 0 {
		runtime.Gosched() // the firing that won is cancelling: a few instructions
	}
	return false
}

// Pending reports whether the timer is armed.
func (tc *TimerCtx) Pending() bool {
	if h := tc.hub; h != nil {
		h.tmu.Lock()
		defer h.tmu.Unlock()
		return tc.t.idx != 0
	}
	return tc.rtRun.Load()&1 == 1
}

// CancelWith stops the timer and cancels the context with cause (the cancel
// function of WithTimeout).
func (tc *TimerCtx) CancelWith(cause error) {
	tc.Stop()
	tc.canceler.cancel(cause)
	tc.dropParentWatch()
}

// Expired reports whether the context was cancelled by its own timer.
func (tc *TimerCtx) Expired() bool {
	return tc.cancelled.Load() && tc.causeOf() == tc.self
}

func (tc *TimerCtx) expire() { tc.expireFrom(nil) }

// expireFrom cancels tc with its own cause; from is the hub whose timer
// fired (see Waiter.WakeFrom), or nil for a runtime timer.
func (tc *TimerCtx) expireFrom(from *Hub) {
	tc.canceler.cancelFrom(tc.self, from)
	tc.dropParentWatch()
}

// dropParentWatch stops watching the parent once tc is cancelled: a
// cancelled TimerCtx is never started again, and the watch would keep it
// reachable from a long-lived parent.
func (tc *TimerCtx) dropParentWatch() {
	tc.mu.Lock()
	stop := tc.parentStop
	tc.parentStop = nil
	tc.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// Deadline returns the timer's expiry, or the parent's when that is earlier.
func (tc *TimerCtx) Deadline() (time.Time, bool) {
	if tc.cancelOnly {
		return tc.parent.Deadline()
	}
	var d time.Time
	if tc.hub != nil {
		tc.hub.tmu.Lock()
		when := tc.t.when
		tc.hub.tmu.Unlock()
		d = tc.hub.base.Add(time.Duration(when))
	} else {
		d = tc.deadline
	}
	if pd, ok := tc.parent.Deadline(); ok && pd.Before(d) {
		return pd, true
	}
	return d, true
}

// Done returns a channel closed when the timer expires or the parent is
// cancelled. The parent is watched only once someone asks for the channel:
// the library's own waits register with each context directly.
func (tc *TimerCtx) Done() <-chan struct{} {
	d, created := tc.canceler.doneChan()
	if created {
		if stop := tc.watchParent(); stop != nil {
			tc.mu.Lock()
			tc.parentStop = stop
			tc.mu.Unlock()
		}
	}
	return d
}

func (tc *TimerCtx) watchParent() func() bool {
	p := tc.parent
	propagate := func() { tc.canceler.cancel(Cause(p)) }
	switch pc := p.(type) {
	case *G:
		return pc.canceler.afterFunc(propagate)
	case *TimerCtx:
		return pc.canceler.afterFunc(propagate)
	}
	if p.Done() == nil {
		return nil
	}
	return context.AfterFunc(p, propagate)
}

// Err returns nil until the context is cancelled (by its timer or through its
// parent), then an error that is (or wraps) the cause.
func (tc *TimerCtx) Err() error { return errOf(Cause(tc)) }

// Value delegates to the parent.
func (tc *TimerCtx) Value(key any) any {
	if key == cancelCtxKey && key != nil {
		if tc.cancelled.Load() {
			return tc.causeValue()
		}
		return tc.parent.Value(key) // the parent's cancellation is ours
	}
	return tc.values.Value(key)
}

// AfterFunc lets contexts derived with the context package watch this one
// without a goroutine.
func (tc *TimerCtx) AfterFunc(f func()) func() bool {
	tc.Done() // make sure parent cancellation reaches our listeners
	return tc.canceler.afterFunc(f)
}
