package core

// Loop exit: how the hub tells that nothing can ever wake a wait
// (gevent's LoopExit) and when it may stop.

func (h *Hub) runqEmpty() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.runq) == 0 && h.bi >= len(h.batch)
}

func (h *Hub) quiescent() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.live.n == 0 && len(h.runq) == 0 && h.bi >= len(h.batch) && h.holds.Load() == 0
}

// deadlockedLocked reports whether nothing can wake the hub: no queued work,
// timers, I/O or outside work, no other hub running and no plain goroutine
// blocked in one of the library's waits.
func (h *Hub) deadlockedLocked(p Poller) bool {
	if h.main == nil && h.phase == phaseRunning {
		return false // a served hub waits for outside work
	}
	if len(h.runq) > 0 || h.holds.Load() > 0 || p.Busy() {
		return false
	}
	if _, ok := h.nextTimer(); ok {
		return false
	}
	// A simulation is a closed world: other hubs and plain goroutines do
	// not count (they are process-global, so parallel tests would change
	// when ErrLoopExit fires).
	return h.closedWorld() || goroutineWaiters.Load() == 0 && !otherHubBusy(h)
}

// loopExit ends the waits that can never complete: the main greenlet's while
// running, every parked greenlet's while stopping, with a LoopExitError that
// carries the wait graph (waitgraph.go). It reports whether it ended any.
func (h *Hub) loopExit() bool {
	if h.phase == phaseRunning {
		if h.main != nil && h.main.parked() {
			return h.main.wb.w.Cancel(&LoopExitError{Graph: h.buildWaitGraph()})
		}
		return false
	}
	err := &LoopExitError{Graph: h.buildWaitGraph()}
	h.mu.Lock()
	var ws []*Waiter
	h.live.each(func(g *G) bool {
		if g.parked() {
			ws = append(ws, &g.wb.w)
		}
		return true
	})
	h.mu.Unlock()
	ended := false
	for _, w := range ws {
		if w.Cancel(err) {
			ended = true
		}
	}
	return ended
}
