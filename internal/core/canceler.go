package core

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// canceler is the cancellation state shared by the library's own contexts
// (a greenlet's context and a TimerCtx). It replaces context.cancelCtx so that
// a greenlet parking on a wait costs a list insertion, not a goroutine or an
// AfterFunc registration.
type canceler struct {
	// own is the waiter of the greenlet whose context this is (for the
	// greenlet's life, from its first wait): a wait made with that very
	// context, the common case, listens here, lock-free, by flagging
	// itself waitOwn. A canceller sets cancelled, then reads own and
	// cancels the current wait if it is flagged; the waiter flags its
	// wait, then reads cancelled: one of them sees the other. A wait that
	// did not flag itself (it waits on something else) is never cancelled
	// through own.
	//
	// own and cancelled come first because a greenlet's switch path reads
	// them: in a G they share the first cache line with the fields the hub
	// touches (see G).
	own atomic.Pointer[Waiter]
	// cancelled is set, under mu, when the context is cancelled, for
	// lock-free reads on the switch path; it also says where the cause is
	// (cancelState).
	cancelled cancelState
	// liveIdx belongs to the G that embeds this canceler, declared here to
	// fill the padding after cancelled: a G is then 152 bytes and its
	// handle 160, a size class below 192 (memory_parked, spawn_join;
	// TestSizes). It is the greenlet's slot in its hub's live set plus one
	// (0: not live), guarded by hub.mu. A TimerCtx leaves it zero.
	liveIdx int32

	mu sync.Mutex // guards the fields below (and sets cancelled)
	// listeners are parked waiters and AfterFunc callbacks to run on
	// cancellation, in registration order: a doubly linked list whose
	// head's prev is its tail (one word in every G instead of two).
	head *listener
	// rare holds what few contexts need: a cause other than the common
	// ones (cancelState), the Done channel and the standard context of a
	// custom cause. It is allocated, under mu, by the first Done or by a
	// cancellation with an uncommon cause, and never replaced. Atomic so
	// that causeValue reads it without the lock.
	rare atomic.Pointer[cancelRare]
}

// cancelState is a canceler's cancellation: zero until cancelled, then a
// cause code. The common causes are codes of their own, so that recording
// them allocates nothing (every greenlet's end, a default Kill, the cancel
// function of WithTimeout or WithCancel); any other cause is in the rare
// block (causeRare). Written under the canceler's mu, read anywhere.
type cancelState struct{ v atomic.Uint32 }

const (
	causeRare     uint32 = 1 + iota // rare.cause
	causeDone                       // ErrGreenletDone
	causeExit                       // ErrGreenletExit
	causeCanceled                   // context.Canceled
)

// Load reports whether the context is cancelled.
func (s *cancelState) Load() bool { return s.v.Load() != 0 }

// codeOf is the code recording cause: one of its own for the common
// causes, causeRare otherwise.
func codeOf(cause error) uint32 {
	switch cause {
	case ErrGreenletDone:
		return causeDone
	case ErrGreenletExit:
		return causeExit
	case context.Canceled:
		return causeCanceled
	}
	return causeRare
}

// cancelRare is a canceler's rarely needed state; its fields are written
// under the canceler's mu, each once.
type cancelRare struct {
	// cause is the cancellation cause; nil until cancelled, then fixed.
	cause error
	// done is created by Done and closed on cancellation; hasDone mirrors
	// done != nil for lock-free reads (TimerCtx.Reusable).
	done    chan struct{}
	hasDone atomic.Bool
	// std is a cancelled standard context carrying a cause that is not
	// itself Canceled or DeadlineExceeded, so that context.Cause finds the
	// exact cause (see cancelCtxKey). Set before cancelled.
	std context.Context
}

// rareLocked returns c's rare block, allocating it on first use; c.mu held.
func (c *canceler) rareLocked() *cancelRare {
	r := c.rare.Load()
	if r == nil {
		r = new(cancelRare)
		c.rare.Store(r)
	}
	return r
}

// hasDone reports whether anyone asked for the Done channel. Any goroutine.
func (c *canceler) hasDone() bool {
	r := c.rare.Load()
	return r != nil && r.hasDone.Load()
}

// causeLocked is the cancellation cause, nil until cancelled; c.mu held
// (or cancelled seen set: the cause is written before it).
func (c *canceler) causeLocked() error {
	switch c.cancelled.v.Load() {
	case 0:
		return nil
	case causeDone:
		return ErrGreenletDone
	case causeExit:
		return ErrGreenletExit
	case causeCanceled:
		return context.Canceled
	}
	return c.rare.Load().cause
}

// cancelCtxKey is the key context.Cause passes to Value to find a context's
// cause, learned once by asking Cause about a context that records it. Our
// contexts answer it themselves: with their own standard context when they
// were cancelled with a custom cause, and with nil otherwise, so that an
// ancestor's cancelled context is never mistaken for ours. If the standard
// library stops asking this way, the key is nil and Cause falls back to Err,
// which is, or wraps, the cause.
var cancelCtxKey = func() any {
	var spy keySpy
	_ = context.Cause(&spy)
	return spy.key
}()

type keySpy struct {
	context.Context
	key any
}

func (s *keySpy) Value(key any) any {
	if s.key == nil {
		s.key = key
	}
	return nil
}

// Err says cancelled: context.Cause asks Err first (Go 1.26) and looks for
// the cause only in a cancelled context.
func (s *keySpy) Err() error { return context.Canceled }

// causeValue answers Value(cancelCtxKey) for a cancelled canceler.
func (c *canceler) causeValue() any {
	if !c.cancelled.Load() {
		return nil
	}
	// std, like the block, was written before cancelled was set.
	if r := c.rare.Load(); r != nil && r.std != nil {
		return r.std.Value(cancelCtxKey)
	}
	return nil
}

// listener is one registration on a canceler: a waiter to cancel, or a
// function to call. It is embedded in the Waiter for the common case.
type listener struct {
	c atomic.Pointer[canceler] // nil when not registered; set under c.mu
	w *Waiter
	// gen is the generation of w's wait that registered l: a canceller
	// that has unlinked l (so that the owner's remove no longer waits for
	// it) cancels exactly that wait, never a later one of the reused waiter.
	gen        uint64
	f          func()
	prev, next *listener
}

// closedChan is returned by Done of a context that was cancelled before
// anyone asked for its channel.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// add registers l; when the canceler is already cancelled it fires l at once
// (a function listener on its own goroutine, as context.AfterFunc does: the
// context package calls AfterFunc holding the child's lock, which the
// function, the child's cancel, takes too).
func (c *canceler) add(l *listener) {
	c.mu.Lock()
	if c.cancelled.Load() {
		cause := c.causeLocked()
		c.mu.Unlock()
		if l.w != nil {
			l.w.cancelGen(l.gen, cause, nil)
		}
		if l.f != nil {
			go l.f()
		}
		return
	}
	l.c.Store(c)
	l.next = nil
	if h := c.head; h != nil {
		t := h.prev
		t.next = l
		l.prev = t
		h.prev = l
	} else {
		l.prev = l
		c.head = l
	}
	c.mu.Unlock()
}

// remove unregisters l and reports whether it was still registered.
func (l *listener) remove() bool {
	c := l.c.Load()
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if l.c.Load() != c {
		return false
	}
	c.unlinkLocked(l)
	return true
}

func (c *canceler) unlinkLocked(l *listener) {
	if h := c.head; l == h {
		c.head = l.next
		if l.next != nil {
			l.next.prev = l.prev // the tail
		}
	} else {
		l.prev.next = l.next
		if l.next != nil {
			l.next.prev = l.prev
		} else {
			h.prev = l.prev // l was the tail
		}
	}
	l.prev, l.next = nil, nil
	l.c.Store(nil)
}

// cancel records cause (the first cause wins) and fires every listener. It
// reports whether this call cancelled.
func (c *canceler) cancel(cause error) bool { return c.cancelFrom(cause, nil) }

// cancelFrom is cancel run by a callback of hub from (see Waiter.WakeFrom):
// the parked greenlets of from that it cancels resume right after that
// callback.
func (c *canceler) cancelFrom(cause error, from *Hub) bool {
	if cause == nil {
		cause = context.Canceled // a nil cause would read as not cancelled
	}
	c.mu.Lock()
	if c.cancelled.Load() {
		c.mu.Unlock()
		return false
	}
	code := codeOf(cause)
	if code == causeRare {
		r := c.rareLocked()
		r.cause = cause
		if errOf(cause) != cause {
			std, cancel := context.WithCancelCause(context.Background())
			cancel(cause)
			r.std = std
		}
	}
	c.cancelled.v.Store(code)
	if r := c.rare.Load(); r != nil && r.done != nil {
		close(r.done)
	}
	if w := c.own.Load(); w != nil {
		w.cancelOwn(cause, from)
	}
	// Fire under the lock so that a listener's owner, which removes it under
	// the same lock before reusing it, never sees a stale cancellation.
	for l := c.head; l != nil; l = c.head {
		w, gen := l.w, l.gen // before unlinking: then the owner may reuse l
		c.unlinkLocked(l)
		if w != nil {
			w.cancelGen(gen, cause, from)
		} else {
			// AfterFunc callbacks run without the lock: they may be
			// arbitrary code (a derived context cancelling its children).
			f := l.f
			c.mu.Unlock()
			f()
			c.mu.Lock()
		}
	}
	c.mu.Unlock()
	return true
}

func (c *canceler) causeOf() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.causeLocked()
}

// doneChan returns the Done channel, creating it on first use, and reports
// whether this call created it.
func (c *canceler) doneChan() (<-chan struct{}, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.rare.Load(); r != nil && r.done != nil {
		return r.done, false
	}
	if c.cancelled.Load() {
		return closedChan, false
	}
	r := c.rareLocked()
	r.done = make(chan struct{})
	r.hasDone.Store(true)
	return r.done, true
}

// afterFunc implements the AfterFunc method the context package looks for on
// a parent, so that contexts derived from ours need no goroutine.
func (c *canceler) afterFunc(f func()) (stop func() bool) {
	l := &listener{f: f}
	c.add(l)
	return l.remove
}

// errOf turns a cancellation cause into the value a context's Err returns:
// the cause itself when it already says Canceled or DeadlineExceeded (the
// library's own ErrGreenletExit and *Timeout do), otherwise a wrapper that
// says Canceled and unwraps to the cause. context.Cause on our contexts
// falls back to Err, so it yields the cause too.
func errOf(cause error) error {
	if cause == nil {
		return nil
	}
	if _, ok := cause.(*exitError); ok {
		return cause // fast path: the library's own kill and end causes
	}
	if errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded) {
		return cause
	}
	return &CanceledError{Cause: cause}
}

// CanceledError is the Err of a library context cancelled with a cause that is
// neither context.Canceled nor context.DeadlineExceeded: it is both.
type CanceledError struct{ Cause error }

// Error returns the cause's message.
func (e *CanceledError) Error() string { return e.Cause.Error() }

// Unwrap returns the cause and context.Canceled.
func (e *CanceledError) Unwrap() []error { return []error{e.Cause, context.Canceled} }
