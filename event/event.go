package event

import (
	"context"
	"sync/atomic"

	"github.com/gevent-go/gevent/internal/core"
)

// Event is a flag that greenlets and goroutines can wait for: gevent's
// Event. The zero value is a clear Event, ready to use. An Event must not be
// copied after first use.
//
// All methods are safe to call from any goroutine and from greenlets of any
// hub. Only Wait can block.
//
// A call to Set “synchronizes before” the return of any Wait that it
// unblocks.
type Event struct {
	n notifier
	// set is the flag. Set and Wait read and write it under n.mu, so that
	// a Set and the waiters it wakes are one step; Clear and IsSet need no
	// lock (Clear wakes nobody).
	set atomic.Bool
}

// Set sets the flag and wakes every waiter, in the order they started
// waiting, without switching: woken greenlets run when the calling greenlet
// next switches (or at once on their own hubs), and woken goroutines run in
// parallel. OnReady callbacks registered before the call run before Set
// returns, on the calling goroutine. Setting a set Event does nothing.
func (e *Event) Set() {
	e.n.mu.Lock()
	if e.set.Load() {
		e.n.mu.Unlock()
		return
	}
	e.set.Store(true)
	links := e.n.notifyLocked()
	e.n.mu.Unlock()
	core.RunCallbacks(&e.n.mu, links)
}

// Clear clears the flag. It does not undo a Set: waiters that Set woke still
// return nil from Wait even if they run after Clear (as in gevent).
func (e *Event) Clear() { e.set.Store(false) }

// IsSet reports whether the flag is set.
func (e *Event) IsSet() bool { return e.set.Load() }

// Ready reports whether the flag is set (gevent's ready()); with OnReady it
// makes an Event a gevent.Waitable.
func (e *Event) Ready() bool { return e.IsSet() }

// Wait blocks until the flag is set and returns nil: at once, without
// switching, when it is set already. It returns nil when a Set woke it, even
// if the flag was cleared again before the caller resumed.
//
// When Wait is called on a set Event whose Set has woken greenlets that have
// not run yet, it waits for them: it returns after they have resumed, in the
// same pass of the hub (gevent's issue 1520 rule), so that a greenlet that
// sets and then waits lets the waiters it woke run first.
//
// When ctx ends first (the greenlet is killed, a timeout expires) Wait
// returns ctx's cause; it checks ctx before it parks. From a plain goroutine
// it blocks the goroutine.
func (e *Event) Wait(ctx context.Context) error {
	if ctx == nil {
		panic("gevent/event: Wait: nil ctx")
	}
	e.n.mu.Lock()
	ready := e.set.Load()
	w, err := e.n.queueLocked(ctx, ready, waitEvent) // waitLocked, written out
	if w == nil {
		return err
	}
	return e.n.unpark(w.Block(ctx), w, ready)
}

// OnReady arranges for f to be called once, the next time the Event is set,
// on the goroutine that sets it (at once, on the calling goroutine, if it is
// set now). f must not block. remove unregisters f and reports whether it was
// still pending: then f never runs, even when the notification has begun
// (a callback may remove a later one, as with gevent's unlink). A panic of f
// reaches Set's caller after the other callbacks have run. With Ready it
// makes an Event a gevent.Waitable, for gevent.Wait and gevent.Iwait.
func (e *Event) OnReady(f func()) (remove func() bool) {
	e.n.mu.Lock()
	return e.n.onReadyLocked(e.set.Load(), f)
}
