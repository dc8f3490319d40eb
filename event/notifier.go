package event

import (
	"context"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// notifier is the machinery Event and AsyncResult share (gevent's
// AbstractLinkable): the waiters parked in Wait, the OnReady callbacks, and
// the bookkeeping for gevent's issue 1520 rule (a Wait that arrives while a
// notification is still being delivered runs after the waiters it notified).
//
// The owner keeps its own state (the flag, the result) under mu as well, so
// that a Set and the wake-ups it causes are one atomic step.
type notifier struct {
	mu sync.Mutex // guards every field below and the owner's state

	// waiters are parked in Wait on an object that was not ready; a
	// notification wakes them all, FIFO.
	waiters core.WaitList
	// late are parked in Wait on an object that was ready while pending > 0;
	// they are woken when the last pending waiter resumes.
	late core.WaitList
	// links are the OnReady callbacks, FIFO.
	links core.CallbackList

	// pending counts greenlet waiters that a notification woke and that have
	// not resumed yet. It is incremented under mu, but a resuming waiter
	// decrements it without mu: the common case (nobody arrived late) then
	// costs no lock. Plain goroutines are not counted: they run in parallel
	// with everything, so there is no order to keep with them (and counting
	// them could let a hub declare ErrLoopExit in the instant between a
	// goroutine's wake-up and its decrement).
	pending atomic.Int32
	// nlate is late's length, changed under mu and read without it by a
	// resuming waiter. An arrival increments nlate before it reads pending,
	// and a resumer decrements pending before it reads nlate (sequentially
	// consistent atomics), so the last resumer cannot miss an arrival that
	// saw it pending: whichever comes second sees the other.
	nlate atomic.Int32
}

// notifyLocked wakes every waiter (FIFO) and detaches every OnReady
// callback. It returns the callbacks, which the caller must run with run
// after unlocking mu: they may take other locks (Iwait's), and running them
// outside mu keeps lock order one-way.
func (n *notifier) notifyLocked() *core.Callback {
	for w := n.waiters.PopFront(); w != nil; w = n.waiters.PopFront() {
		if isG := w.Greenlet() != nil; w.Wake() && isG { // read before Wake: then w is its owner's
			n.pending.Add(1)
		}
	}
	return n.links.TakeAll()
}

// waitLocked parks the caller until the next notification (ready false) or,
// when the object is already ready, until the waiters woken by the
// notification in progress have resumed (gevent issue 1520). It is entered
// with mu held and returns with mu released. It returns nil when woken and
// ctx's cause when ctx ends first (at once if it already has, and the call
// would have to switch).
//
// Event.Wait writes it out (queueLocked, Block, unpark), so that no frame
// of ours stands between it and the coroutine switch: each is a return
// mispredicted when the switch comes back.
func (n *notifier) waitLocked(ctx context.Context, ready bool, kind core.WaitKind) error {
	w, err := n.queueLocked(ctx, ready, kind)
	if w == nil {
		return err
	}
	return n.unpark(w.Block(ctx), w, ready)
}

// queueLocked is waitLocked's first step: it queues the caller's waiter
// and returns it, or returns nil and the result of the wait when there is
// nothing to wait for (ready, no notification in progress: nil) or ctx has
// ended. Entered with mu held; it returns with mu released.
func (n *notifier) queueLocked(ctx context.Context, ready bool, kind core.WaitKind) (*core.Waiter, error) {
	list := &n.waiters
	if ready {
		n.nlate.Add(1) // before reading pending: see nlate
		if n.pending.Load() == 0 {
			n.nlate.Add(-1)
			n.mu.Unlock()
			return nil, nil
		}
		list = &n.late
	}
	w, err := core.PrepareOn(ctx, kind, unsafe.Pointer(n))
	if err != nil {
		if ready {
			n.nlate.Add(-1)
		}
		n.mu.Unlock()
		return nil, err
	}
	list.PushBack(w)
	n.mu.Unlock()
	return w, nil
}

// unpark is waitLocked's last step, after Block ended the wait of w (queued
// on the late list when ready) with err.
func (n *notifier) unpark(err error, w *core.Waiter, ready bool) error {
	if err != nil {
		// Remove is false when a notification popped w but lost the race
		// to the cancellation: then nothing was counted for w.
		list := &n.waiters
		if ready {
			list = &n.late
		}
		n.mu.Lock()
		if list.Remove(w) && ready {
			n.nlate.Add(-1)
		}
		n.mu.Unlock()
	} else if w.Greenlet() != nil {
		n.resumed()
	}
	w.Release()
	return err
}

// resumed records that a greenlet woken by a notification is running again;
// the last one to resume wakes the late arrivals, which run after it in the
// same pass of the hub's callback queue.
func (n *notifier) resumed() {
	if n.pending.Add(-1) != 0 || n.nlate.Load() == 0 {
		return
	}
	n.mu.Lock()
	// A new notification may have started meanwhile: then its last waiter
	// to resume wakes the late arrivals.
	if n.pending.Load() == 0 {
		for w := n.late.PopFront(); w != nil; w = n.late.PopFront() {
			n.nlate.Add(-1)
			if isG := w.Greenlet() != nil; w.Wake() && isG { // read before Wake: then w is its owner's
				n.pending.Add(1)
			}
		}
	}
	n.mu.Unlock()
}

// onReadyLocked registers f to be called by the next notification, or, when
// the object is ready now, calls f at once. It is entered with mu held and
// returns with mu released.
func (n *notifier) onReadyLocked(ready bool, f func()) (remove func() bool) {
	if f == nil {
		n.mu.Unlock()
		panic("gevent/event: OnReady: nil f")
	}
	if ready {
		n.mu.Unlock()
		f()
		return func() bool { return false }
	}
	l := core.NewCallback(f)
	n.links.PushBack(l)
	n.mu.Unlock()
	return func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.links.Remove(l)
	}
}
