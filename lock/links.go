package lock

// link is one OnReady callback.
type link struct {
	f          func()
	prev, next *link
	// on is the list the link is queued on; nil once it has been removed or
	// detached for running. Guarded by the owning semaphore's mu.
	on *linkList
}

// linkList is a FIFO of OnReady callbacks, guarded by the owner's mu.
type linkList struct{ head, tail *link }

func (l *linkList) empty() bool { return l.head == nil }

func (l *linkList) pushBack(x *link) {
	x.on = l
	x.prev = l.tail
	if l.tail != nil {
		l.tail.next = x
	} else {
		l.head = x
	}
	l.tail = x
}

func (l *linkList) remove(x *link) bool {
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

// takeAll detaches every link and returns the first; the chain stays linked
// through next (remove ignores a detached link, whose on is nil).
func (l *linkList) takeAll() *link {
	h := l.head
	for x := h; x != nil; x = x.next {
		x.on = nil
	}
	l.head, l.tail = nil, nil
	return h
}

// runLinks calls a detached chain of callbacks in order, without the
// owner's lock.
func runLinks(h *link) {
	for x := h; x != nil; {
		next := x.next
		x.prev, x.next = nil, nil
		x.f()
		x = next
	}
}
