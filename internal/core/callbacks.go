package core

import "sync"

// Callback is one registered readiness callback (an OnReady registration of
// an event, result or semaphore).
type Callback struct {
	f          func()
	prev, next *Callback
	// on is the list the callback is queued on; &detachedChain while it waits
	// in a chain TakeAll detached, and nil once removed or run. Guarded by
	// the owner's lock, like the list.
	on *CallbackList
}

// NewCallback wraps f for a CallbackList.
func NewCallback(f func()) *Callback { return &Callback{f: f} }

// CallbackList is a FIFO of callbacks, guarded by its owner's lock. The zero
// value is empty.
type CallbackList struct{ head, tail *Callback }

// Empty reports whether no callback is queued.
func (l *CallbackList) Empty() bool { return l.head == nil }

// PushBack queues x.
func (l *CallbackList) PushBack(x *Callback) {
	x.on = l
	x.prev = l.tail
	if l.tail != nil {
		l.tail.next = x
	} else {
		l.head = x
	}
	l.tail = x
}

// detachedChain marks a callback of a chain TakeAll detached that has not run
// yet: Remove still keeps it from running, as gevent's unlink during a
// notification does.
var detachedChain CallbackList

// Remove unqueues x and reports whether it was still pending: queued, or
// detached by TakeAll and not yet run (it then never runs).
func (l *CallbackList) Remove(x *Callback) bool {
	if x.on == &detachedChain {
		x.on = nil // the chain stays linked: RunCallbacks skips x
		return true
	}
	if x.on != l {
		return false
	}
	if x.prev != nil {
		x.prev.next = x.next
	} else {
		l.head = x.next
	}
	if x.next != nil {
		x.next.prev = x.prev
	} else {
		l.tail = x.prev
	}
	x.prev, x.next, x.on = nil, nil, nil
	return true
}

// TakeAll detaches every callback and returns the first; the chain stays
// linked through next, and Remove of a detached callback that has not run
// yet keeps it from running.
func (l *CallbackList) TakeAll() *Callback {
	h := l.head
	for x := h; x != nil; x = x.next {
		x.on = &detachedChain
	}
	l.head, l.tail = nil, nil
	return h
}

// RunCallbacks calls a detached chain in order, skipping the callbacks
// removed before their turn (by an earlier callback, as gevent's
// test__greenlet.py unlinks one, or by another goroutine). Call it without
// the owner's lock mu, which it takes around each step: callbacks are
// arbitrary code. A callback's panic goes on to the caller once the rest of
// the chain has run (gevent reports the error and notifies the others), so
// that no waiter misses its wake-up.
func RunCallbacks(mu sync.Locker, h *Callback) {
	if h != nil { // the common case, no callback, stays a test
		runCallbacks(mu, h)
	}
}

func runCallbacks(mu sync.Locker, h *Callback) {
	x := h
	defer func() {
		if x != nil { // only after a panic: x is the next one to run
			runCallbacks(mu, x)
		}
	}()
	for x != nil {
		mu.Lock()
		cur := x
		x = cur.next
		run := cur.on == &detachedChain
		cur.prev, cur.next, cur.on = nil, nil, nil
		mu.Unlock()
		if run {
			cur.f()
		}
	}
}
