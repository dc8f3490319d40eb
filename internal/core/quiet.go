package core

import "context"

// Waiting for a quiet hub: gevent's wait() with no objects (hub.join) parks
// the caller until the loop has nothing else to do. Here that is: no queued
// callback, no idle waiter, no I/O wait, no outside work held (Blocking,
// Hold), and no armed timer other than the ones that can only end the quiet
// waits themselves (their own timeouts, which gevent arms unreferenced).
// Greenlets parked on something nobody can signal do not count: they would
// wait for ever, as in gevent. Other hubs and plain goroutines do not count
// either: they are not this hub's work.

// quietWaiter is one greenlet parked in WaitQuiet, with the context of its
// wait (whose timers do not keep the hub busy).
type quietWaiter struct {
	w   *Waiter
	ctx context.Context
}

// WaitQuiet parks g, the running greenlet of h, until h has nothing else to
// do; it returns ctx's cause if ctx ends first.
func (h *Hub) WaitQuiet(ctx context.Context, g *G) error {
	if err := Cause(ctx); err != nil {
		return err
	}
	w := &g.waits().w
	w.begin()
	h.quiet = append(h.quiet, quietWaiter{w, ctx})
	err := w.Block(ctx)
	if err != nil {
		for i, q := range h.quiet {
			if q.w == w {
				h.quiet = append(h.quiet[:i], h.quiet[i+1:]...)
				break
			}
		}
	}
	return err
}

// wakeQuiet wakes every quiet waiter when the hub has nothing else to do, and
// reports whether it did. Loop-only, called when the hub is about to poll.
func (h *Hub) wakeQuiet(p Poller) bool {
	if h.idlers.Len() > 0 || h.bi < len(h.batch) || h.holds.Load() > 0 || p.Busy() {
		return false
	}
	h.mu.Lock()
	queued := len(h.runq) > 0
	h.mu.Unlock()
	if queued || h.armedTimers() > h.quietTimers() {
		return false
	}
	ws := h.quiet
	h.quiet = nil
	for _, q := range ws {
		q.w.Wake()
	}
	return true
}

func (h *Hub) armedTimers() int {
	h.tmu.Lock()
	defer h.tmu.Unlock()
	return len(h.timers)
}

// quietTimers counts the distinct armed timers of h that belong to the quiet
// waits: the timeouts in their contexts and their greenlets' scopes.
func (h *Hub) quietTimers() int {
	own := map[*TimerCtx]bool{}
	for _, q := range h.quiet {
		for ctx := q.ctx; ctx != nil; {
			switch c := ctx.(type) {
			case *TimerCtx:
				own[c] = true
				ctx = c.parent
				continue
			case detached:
				ctx = c.Context
				continue
			}
			break
		}
		if g := q.w.g; g != nil && g.wb != nil {
			for _, r := range g.wb.scopeRefs() {
				if r.active() {
					own[r.tc] = true
				}
			}
		}
	}
	n := 0
	h.tmu.Lock()
	for tc := range own {
		if tc.hub == h && tc.t.idx > 0 {
			n++
		}
	}
	h.tmu.Unlock()
	return n
}
