package core

import "context"

// StartCancel makes tc a cancel-only context of parent (the root package's
// WithCancel): the library's own cancellation without a timer. A greenlet
// waiting with it registers on tc and on parent's chain like with any
// library context, without a goroutine, and CancelWith cancels those waits
// synchronously, in the caller: in a simulation the cancellation is a step
// of the run, where a standard context's reaches the hub through a
// goroutine (context.AfterFunc). Call it once, on a new TimerCtx, before the
// context is handed out.
func (tc *TimerCtx) StartCancel(parent context.Context) {
	tc.parent = parent
	tc.values = valuesParent(parent)
	tc.hub = HubOf(parent)
	tc.g = GreenletOf(parent)
	tc.cancelOnly = true
}
