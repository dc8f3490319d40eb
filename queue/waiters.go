package queue

import (
	"sync"
	"sync/atomic"

	"github.com/gevent-go/gevent/internal/core"
)

// record is one blocked Get, Peek or Put: the waiter that parks it and the
// item it carries. A putter's record holds the item it offers; a getter's
// record receives the item handed to it. While the record is queued, its
// fields are guarded by the lock of the queue whose list it is on. A waker
// pops the record, fills in item or err, reads what it needs, and only then
// calls Wake; once Wake succeeds the record belongs to its owner again, which
// reads it without the lock (the wake-up orders the writes before the
// owner's reads).
type record[T any] struct {
	w    *core.Waiter
	item T
	err  error // ErrShutDown when Shutdown ended the wait
	peek bool  // a Peek: sees the item without taking it
	// released is set (atomically) by the waiting call a waker handed the
	// record to, once it has read the record and cleared it: the record
	// may then be reused. Cleared, plainly, by waiters.record, under the
	// queue's lock, after its atomic load saw that store.
	released uint32

	list       *wlist[T] // the list the record is queued on, or nil
	prev, next *record[T]
}

// wlist is a FIFO of records, guarded by the owning queue's lock. Unlike
// core.WaitList it carries an item per waiter, which is what lets a waker hand
// an item to a getter (or take one from a putter) under the lock, so that a
// woken getter never has to race other callers for it.
type wlist[T any] struct {
	head, tail *record[T]
}

func (l *wlist[T]) empty() bool { return l.head == nil }

func (l *wlist[T]) pushBack(r *record[T]) {
	r.list = l
	r.prev = l.tail
	r.next = nil
	if l.tail != nil {
		l.tail.next = r
	} else {
		l.head = r
	}
	l.tail = r
}

func (l *wlist[T]) popFront() *record[T] {
	r := l.head
	if r != nil {
		l.remove(r)
	}
	return r
}

// remove unlinks r if it is on l and reports whether it was: false when a
// waker popped it first.
func (l *wlist[T]) remove(r *record[T]) bool {
	if r.list != l {
		return false
	}
	if r.prev != nil {
		r.prev.next = r.next
	} else {
		l.head = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	} else {
		l.tail = r.prev
	}
	r.prev, r.next, r.list = nil, nil, nil
	return true
}

// failAll wakes every record with err (Shutdown).
func (l *wlist[T]) failAll(err error) {
	for r := l.popFront(); r != nil; r = l.popFront() {
		r.err = err
		if !r.w.Wake() {
			r.err = nil // it gave up; its owner reads nothing
		}
	}
}

// waiters is the waiting machinery shared by the buffered queues and Channel:
// the FIFO lists of blocked getters and putters and a free list of records, so
// that a blocking call does not allocate. Guarded by the owner's lock.
type waiters[T any] struct {
	// getters are blocked Get and Peek calls, in arrival order.
	getters wlist[T]
	// putters are blocked Put calls with their items, in arrival order.
	putters wlist[T]
	// free holds recycled records, linked through next.
	free *record[T]
	// handed is the last record a waker handed off (woken with its item
	// or its result): reusable once its owner has released it, which the
	// owner does with one atomic store and no lock, so that the common
	// wait (one waiter at a time, woken) takes the lock once.
	handed *record[T]
	// desc describes the owning queue for dumps; set on the first wait
	// (waitkinds.go). Its address is the object of the waits.
	desc func() core.WaitDetail
}

// record returns a clean record for w.
func (s *waiters[T]) record(w *core.Waiter) *record[T] {
	r := s.free
	if r != nil {
		s.free = r.next
		r.next = nil
	} else if r = s.handed; r != nil && atomic.LoadUint32(&r.released) != 0 {
		s.handed = nil
		r.released = 0 // after the owner's store, which the load saw
	} else {
		r = new(record[T])
	}
	r.w = w
	return r
}

// handOff notes r, whose Wake a waker with the owner's lock has just won:
// once its owner has released it, record may reuse it.
func (s *waiters[T]) handOff(r *record[T]) { s.handed = r }

// reset clears what a record holds; list links are already clear once it is
// off its list.
func (r *record[T]) reset() {
	var zero T
	r.w, r.item, r.err, r.peek = nil, zero, nil, false
}

// recycle returns r to the free list; the caller holds the owner's lock and r
// is off its list.
func (s *waiters[T]) recycle(r *record[T]) {
	r.reset()
	r.next = s.free
	s.free = r
}

// offer hands v to the first Get that is still waiting and wakes, with a
// copy of v, the Peek calls queued before that Get; Peek calls behind it wait
// for the next item. It reports whether a Get took v. When none did, nothing
// was woken, and the getters list holds only Peek calls (Get calls that gave
// up were dropped): see wakePeekers. A Get is handed v only when its Wake
// succeeds, so v never goes to a waiter that gave up (a kill or timeout won
// the race); that waiter is dropped and v offered to the next.
func (s *waiters[T]) offer(v T) bool {
	var zero T
	for r := s.getters.head; r != nil; {
		next := r.next
		if !r.peek {
			s.getters.remove(r) // before Wake: then r is its owner's
			r.item = v
			if r.w.Wake() {
				// Everything ahead of r in the list is a Peek.
				for p := s.getters.head; p != next; p = s.getters.head {
					s.getters.remove(p)
					p.item = v
					if p.w.Wake() {
						s.handOff(p)
					} else {
						p.item = zero
					}
				}
				s.handOff(r)
				return true
			}
			r.item = zero
		}
		r = next
	}
	return false
}

// wakePeekers wakes every queued Peek with a copy of v: v is about to be
// stored (a buffered queue) or offered by a blocked Put (a Channel). Call it
// only after offer found no Get, so that the list holds only Peek calls.
func (s *waiters[T]) wakePeekers(v T) {
	var zero T
	for r := s.getters.popFront(); r != nil; r = s.getters.popFront() {
		r.item = v
		if r.w.Wake() {
			s.handOff(r)
		} else {
			r.item = zero
		}
	}
}

// A blocking call parks its record r in three steps, written out in the
// call so that no frame of ours stands between it and the coroutine switch
// (each is a return mispredicted when the switch comes back):
//
//	l.pushBack(r)
//	mu.Unlock()
//	return s.unpark(r.w.Block(ctx), mu, l, r)
//
// The caller holds mu, the owner's lock, until it has queued r on l.

// unpark ends the wait of r, which Block ended with err. On success it
// returns the record's item (what a getter was handed) and err (ErrShutDown);
// on cancellation it removes r, so a waker can no longer hand it anything,
// and returns the cause. mu is not held.
func (s *waiters[T]) unpark(err error, mu *sync.Mutex, l *wlist[T], r *record[T]) (T, error) {
	w := r.w
	if err != nil {
		mu.Lock()
		l.remove(r) // false if a waker popped r and lost the race to Cancel
		s.recycle(r)
		mu.Unlock()
		w.Release()
		return *new(T), err
	}
	// Woken: the waker is done with r and it is off the list, so it is
	// ours without the lock.
	v, err := r.item, r.err
	r.reset()
	atomic.StoreUint32(&r.released, 1) // the waker handed r off: see record
	w.Release()
	return v, err
}
