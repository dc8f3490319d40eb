package core

// Handing the drain to a parking greenlet.
//
// A greenlet is an iter.Pull coroutine that the hub's goroutine resumes, so
// going from one greenlet to the next costs two coroutine switches: the
// parking greenlet back to the hub, the hub on to the next. When the hub's
// drain resumed a greenlet A and A parks while the drain's next task is
// another greenlet B, A resumes B itself, from its own stack: B's switch
// back then lands in A, which goes on with the drain's next task (or, when
// that task is A's own wake-up, simply returns from its park, with no switch
// at all). A ping-pong between two greenlets, or two greenlets yielding in
// turn, then costs one switch a hand-over instead of two.
//
// The order does not change: handoff takes the drain's tasks from the same
// batch, in the same order, counted in the same pass, and returns the hub
// to its drain (A yields as it would have) at the first task that is not a
// greenlet to run, at the end of the pass, before the pass's time check,
// and after a greenlet whose end the hub must finish on its own goroutine
// (a failure, whose report runs the error handler there, or main's end).
//
// Depth is one: a greenlet resumed by handoff parks back to A, never hands
// on, so a stack holds at most the hub, A and the greenlet A resumed.
//
// Not used in a simulation (its scheduler picks every task), with
// CrashOnPanic (a greenlet's panic would unwind A's frames first) or while
// tracing (traced parks switch back to the hub).
//
// Where it shows: runtime.Goexit in a greenlet that handoff resumed
// unwinds A too, on its way to the hub's goroutine; and goroutine dumps and
// profiles show the loop's bookkeeping on A's goroutine (doc.go).

// handoff runs the drain's next tasks on a's stack while they are greenlets
// to start or resume, and reports true when it reached a's own wake-up (a
// then runs on, resumed by this very call). It reports false when the hub
// must take over: a then yields to the drain, which goes on where handoff
// stopped. A parking greenlet calls it in place of yielding to the hub when
// h.handing is that greenlet (every switch point checks, with no frame of
// its own). Loop-only (a runs on the hub's behalf).
func (h *Hub) handoff(a *G) bool {
	h.handing = nil // a greenlet resumed here parks back to a
	h.monCheck(a)   // a's park is a switch point, as when it yields
	// Stop where the drain's time check is due: it is the drain's.
	for h.passN < h.passCheck {
		if h.bi >= len(h.batch) && !h.swapBatch() {
			break
		}
		t := h.batch[h.bi]
		if t.kind != taskRun {
			break
		}
		h.batch[h.bi] = task{}
		h.bi++
		h.nextSegment()
		h.passN++
		prefetchRun(h.batch, h.bi+aheadRun-1)
		g := (*G)(t.p) // a taskRun
		if g == a {
			// a's own wake-up: it is the task the drain runs now.
			h.handing = a
			return true
		}
		if g.co == nil && !h.start(g) {
			continue
		}
		h.current = g
		g.co.next()
		h.current = a
		if g.co.g == nil {
			if g == h.main || (g.err != nil && !IsExit(g.err)) {
				h.endedAway = g // reported on the hub's goroutine (drain)
				h.monCheck(g)
				break
			}
			h.ended(g)
		}
		h.monCheck(g)
	}
	return false
}
