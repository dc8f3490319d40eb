package core

// Callback is one registered readiness callback (an OnReady registration of
// an event, result or semaphore).
type Callback struct {
	f          func()
	prev, next *Callback
	// on is the list the callback is queued on; nil once removed or detached
	// for running. Guarded by the owner's lock, like the list.
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

// Remove unqueues x and reports whether it was still queued (false once it
// was detached to run).
func (l *CallbackList) Remove(x *Callback) bool {
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
// linked through next (Remove ignores a detached callback).
func (l *CallbackList) TakeAll() *Callback {
	h := l.head
	for x := h; x != nil; x = x.next {
		x.on = nil
	}
	l.head, l.tail = nil, nil
	return h
}

// RunCallbacks calls a detached chain in order. Call it without the owner's
// lock: callbacks are arbitrary code.
func RunCallbacks(h *Callback) {
	for x := h; x != nil; {
		next := x.next
		x.prev, x.next = nil, nil
		x.f()
		x = next
	}
}
