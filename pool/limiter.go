package pool

import (
	"math"

	"github.com/gevent-go/gevent/internal/core"
)

// limiter is a Pool's slot accounting, guarded by its Group's mu. Its zero
// value means "no bound" and only counts.
type limiter struct {
	bounded bool
	size    int
	// held counts slots taken: one per member admitted, plus slots handed
	// to woken waiters that have not inserted their member yet.
	held int
	// slotWaiters are Spawn/Add calls waiting for a slot, in FIFO order. A
	// freed slot is handed to the first one directly (held is unchanged),
	// so a caller that did not wait can never take it first and a waiter
	// that gave up never takes one.
	slotWaiters core.WaitList
	// availWaiters are WaitAvailable calls; all are woken when a slot is
	// freed and nobody was waiting for it.
	availWaiters core.WaitList
}

func (l *limiter) fullLocked() bool { return l.bounded && l.held >= l.size }

func (l *limiter) freeLocked() int {
	if !l.bounded {
		return math.MaxInt
	}
	return max(0, l.size-l.held)
}

// takeLocked takes a free slot (the caller checked there is one).
func (l *limiter) takeLocked() { l.held++ }

// releaseLocked gives a slot back: to the first waiter still waiting, or to
// the pool.
func (l *limiter) releaseLocked() {
	if l.slotWaiters.WakeOne() != nil {
		return // handed over: the waiter now holds it
	}
	l.held--
	if l.availWaiters.Len() > 0 {
		l.availWaiters.WakeAll()
	}
}
