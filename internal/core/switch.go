package core

// The switch points the hub offers its greenlets: Yield, Sleep, Idle, and
// timed hub callbacks.

import (
	"context"
	"runtime"
	"time"
)

// Yield is gevent's sleep(0) for ctx: ctx's cause when it is cancelled,
// otherwise the running greenlet goes to the back of the queue (reported
// true), or nothing happens when ctx has no running greenlet (false). One
// type check serves the common case of a greenlet's own context.
func Yield(ctx context.Context) (bool, error) {
	var cur *G
	if g, ok := ctx.(*G); ok {
		if g.cancelled.Load() {
			return false, g.causeOf()
		}
		if cur = g.hub.current; cur != g && cur != nil {
			cur = Current(ctx) // another greenlet runs: a descendant, or misuse
		}
	} else {
		if err := causeSlow(ctx); err != nil {
			return false, err
		}
		cur = Current(ctx)
	}
	if cur == nil {
		return false, nil
	}
	cur.hub.ready(runTask(cur))
	if cur.hub.tracing {
		cur.parkTraced(parkYield)
	} else if h := cur.hub; h.handing != cur || !h.handoff(cur) {
		cur.co.yield(struct{}{})
	}
	return true, nil
}

// YieldCall is the root package's Yield, which inlines it: the common case
// (a greenlet yielding with its own context) with no frame between the
// caller and the coroutine switch, so that one return fewer is
// mispredicted when the switch comes back; Yield's other cases otherwise,
// and runtime.Gosched when ctx has no running greenlet. A nil ctx panics
// with what's message.
func YieldCall(ctx context.Context, what string) error {
	if g, ok := ctx.(*G); ok {
		if h := g.hub; h.current == g && !g.cancelled.Load() && !h.tracing {
			h.ready(runTask(g))
			if h.handing != g || !h.handoff(g) {
				g.co.yield(struct{}{})
			}
			return nil
		}
	}
	return yieldCallSlow(ctx, what)
}

func yieldCallSlow(ctx context.Context, what string) error {
	if ctx == nil {
		panic(what)
	}
	switched, err := Yield(ctx)
	if !switched && err == nil {
		runtime.Gosched()
	}
	return err
}

// Idle parks g until an iteration of the loop has nothing else to do.
func (h *Hub) Idle(ctx context.Context, g *G) error {
	w := &g.waits().w
	w.begin()
	w.record(WaitIdle, nil)
	h.idlers.PushBack(w)
	err := w.Block(ctx)
	if err != nil {
		h.idlers.Remove(w)
	}
	return err
}

// Sleep parks g for d on the hub's timer heap.
func (h *Hub) Sleep(ctx context.Context, g *G, d time.Duration) error {
	wb := g.waits()
	w := &wb.w
	wb.t.kind = timerWake
	wb.t.sp = stackMark()
	if ctx == context.Context(g) && !wb.hasScopes() {
		// The common case, a sleep on the greenlet's own context with no
		// timeout scope: what register does for it, with the wait begun
		// already flagged waitOwn (one locked store instead of two; no one
		// else touches the state of a wait not yet flagged or registered).
		w.beginOwn()
		w.record(WaitSleep, nil)
		h.addTimer(&wb.t, d)
		if g.cancelled.Load() {
			w.Cancel(g.causeOf())
		}
		if h.tracing {
			g.parkTraced(parkSleep)
		} else if h.handing != g || !h.handoff(g) {
			g.co.yield(struct{}{})
		}
	} else {
		w.begin()
		w.record(WaitSleep, nil)
		h.addTimer(&wb.t, d)
		stop := w.register(ctx) // Block, inlined by hand (see Block)
		if h.tracing {
			g.parkTraced(parkSleep)
		} else if h.handing != g || !h.handoff(g) {
			g.co.yield(struct{}{})
		}
		w.unregister(stop)
	}
	err := w.finish()
	if err != nil {
		h.delTimer(&wb.t)
	}
	return err
}

// AfterFunc runs f on the hub after d; the returned function disarms it and
// reports whether it did. Any goroutine.
func (h *Hub) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	ft := &funcTimer{t: timer{kind: timerFunc}, f: f}
	h.addTimer(&ft.t, d)
	return func() bool { return h.delTimer(&ft.t) }
}
