package queue

import (
	"context"
	"errors"
	"iter"
	"sync"

	"github.com/gevent-go/gevent/internal/core"
)

// ErrShutDown is returned by Put after Shutdown, by Get and Peek once a shut
// down queue is empty (at once after an immediate shutdown), and by every
// call that was blocked when Shutdown was called (gevent's queue.ShutDown).
var ErrShutDown = errors.New("gevent/queue: shut down")

// taskDoneTooMany is the panic of a TaskDone called more times than items
// were put (gevent raises ValueError).
const taskDoneTooMany = "gevent/queue: TaskDone called too many times"

// container is the order in which a buffered queue hands out its items: a
// FIFO ring, a LIFO stack or a heap. Its methods are called with the queue's
// lock held; pop and peek only when len() > 0.
type container[T any] interface {
	len() int
	push(v T)
	pop() T
	peek() T
	// clear drops every item and returns how many there were.
	clear() int
}

// base is the one implementation of the buffered queues (Queue, LifoQueue,
// PriorityQueue): the waiting logic, task counting and shutdown, over a
// pluggable container C. PC is *C, which lets each queue type embed its
// container by value (so that the zero Queue and LifoQueue are usable).
//
// Invariants (under mu): getters is non-empty only while items is empty, and
// putters only while items is full. Put therefore offers an item to the
// waiting getters before it touches items, and every removal from items
// refills it from the first live putter.
type base[T any, C any, PC interface {
	*C
	container[T]
}] struct {
	mu sync.Mutex // guards the fields below

	items   C
	maxsize int // > 0: bounded; written only by the constructor
	waiters[T]
	// joiners are blocked Join calls, woken when unfinished reaches 0.
	joiners core.WaitList
	// unfinished counts items put (into items or straight to a getter) and
	// not yet marked done by TaskDone.
	unfinished int
	shutdown   bool
}

func (q *base[T, C, PC]) c() PC { return PC(&q.items) }

func (q *base[T, C, PC]) fullLocked() bool {
	return q.maxsize > 0 && q.c().len() >= q.maxsize
}

// Put adds v to the queue, waiting while the queue is full. It does not
// switch when it can complete at once: when a Get is waiting, v is handed to
// the first one still waiting (Peek calls queued before it see v too) and Put
// returns. Blocked Put calls are served in arrival order. It returns
// ErrShutDown after Shutdown, and ctx's cause when ctx ends first, in which
// case v was not added. Put on a queue with room succeeds even when ctx is
// already cancelled (as in gevent, a call that need not wait does not look
// at its timeout).
func (q *base[T, C, PC]) Put(ctx context.Context, v T) error {
	if ctx == nil {
		panic("gevent/queue: Put: nil ctx")
	}
	q.mu.Lock()
	if !q.shutdown {
		if q.getters.empty() {
			if !q.fullLocked() {
				q.c().push(v)
				q.unfinished++
				q.mu.Unlock()
				return nil
			}
		} else if q.offer(v) { // to a waiting Get (putNowLocked's first case)
			q.unfinished++
			q.mu.Unlock()
			return nil
		}
	}
	return q.putSlow(ctx, v)
}

// putSlow is Put's outlined slow path; q.mu is held on entry.
func (q *base[T, C, PC]) putSlow(ctx context.Context, v T) error {
	if q.shutdown {
		q.mu.Unlock()
		return ErrShutDown
	}
	if q.putNowLocked(v) {
		q.mu.Unlock()
		return nil
	}
	w, err := core.PrepareOn(ctx, waitQueuePut, q.descPtr())
	if err != nil {
		q.mu.Unlock()
		return err
	}
	r := q.record(w)
	r.item = v
	q.putters.pushBack(r)
	q.mu.Unlock()
	_, err = q.unpark(w.Block(ctx), &q.mu, &q.putters, r)
	return err
}

// putNowLocked adds v if that needs no wait: to the first live getter, or
// into items when there is room. Not for a shut down queue.
func (q *base[T, C, PC]) putNowLocked(v T) bool {
	if !q.getters.empty() {
		if q.offer(v) {
			q.unfinished++
			return true
		}
		// No Get was left: items is empty (getters wait only then), so v
		// is stored below, and the waiting Peek calls see it.
		q.wakePeekers(v)
	}
	if q.fullLocked() {
		return false
	}
	q.c().push(v)
	q.unfinished++
	return true
}

// TryPut adds v if it can without waiting (gevent's put_nowait) and reports
// whether it did: false when the queue is full or shut down. It never
// switches.
func (q *base[T, C, PC]) TryPut(v T) bool {
	q.mu.Lock()
	ok := !q.shutdown && q.putNowLocked(v)
	q.mu.Unlock()
	return ok
}

// Get removes and returns the next item, waiting while the queue is empty.
// It does not switch when an item is there. Blocked Get and Peek calls are
// served in arrival order, and an item is handed to a waiting Get under the
// queue's lock only if that Get is still waiting, so no item is lost to a Get
// that was killed or timed out. It returns ErrShutDown once a shut down queue
// is empty, and ctx's cause when ctx ends first. An item that is there is
// taken even when ctx is already cancelled (as in gevent, a call that need
// not wait does not look at its timeout).
func (q *base[T, C, PC]) Get(ctx context.Context) (T, error) {
	if ctx == nil {
		panic("gevent/queue: Get: nil ctx")
	}
	q.mu.Lock()
	if q.c().len() > 0 {
		v := q.takeLocked()
		q.mu.Unlock()
		return v, nil
	}
	// waitItem, written out: a frame fewer between Get and the switch.
	r, err := q.queueGetter(ctx, false)
	if r == nil {
		var zero T
		return zero, err
	}
	return q.unpark(r.w.Block(ctx), &q.mu, &q.getters, r)
}

// Peek returns the next item without removing it, waiting like Get while the
// queue is empty; like Get, it returns an item that is there even when ctx
// is already cancelled.
func (q *base[T, C, PC]) Peek(ctx context.Context) (T, error) {
	if ctx == nil {
		panic("gevent/queue: Peek: nil ctx")
	}
	q.mu.Lock()
	if q.c().len() > 0 {
		v := q.c().peek()
		q.mu.Unlock()
		return v, nil
	}
	return q.waitItem(ctx, true)
}

// waitItem is the outlined slow path of Peek (and Get) on an empty queue;
// q.mu is held on entry.
func (q *base[T, C, PC]) waitItem(ctx context.Context, peek bool) (T, error) {
	r, err := q.queueGetter(ctx, peek)
	if r == nil {
		var zero T
		return zero, err
	}
	return q.unpark(r.w.Block(ctx), &q.mu, &q.getters, r)
}

// queueGetter queues a record for a Get or Peek on an empty queue and
// returns it; nil and the error when the call must not wait (shut down,
// ctx ended). Entered with q.mu held; it returns with q.mu released.
func (q *base[T, C, PC]) queueGetter(ctx context.Context, peek bool) (*record[T], error) {
	if q.shutdown {
		q.mu.Unlock()
		return nil, ErrShutDown
	}
	w, err := core.PrepareOn(ctx, waitQueueGet, q.descPtr())
	if err != nil {
		q.mu.Unlock()
		return nil, err
	}
	r := q.record(w)
	r.peek = peek
	q.getters.pushBack(r)
	q.mu.Unlock()
	return r, nil
}

// takeLocked removes the next item and lets the first live putter in.
func (q *base[T, C, PC]) takeLocked() T {
	v := q.c().pop()
	if !q.putters.empty() {
		q.refillLocked()
	}
	return v
}

// refillLocked moves the items of waiting putters into the freed room, in
// arrival order, skipping putters that gave up (their items stay theirs).
func (q *base[T, C, PC]) refillLocked() {
	for !q.fullLocked() {
		r := q.putters.popFront()
		if r == nil {
			return
		}
		v := r.item // r is its owner's once Wake succeeds
		if r.w.Wake() {
			q.handOff(r)
			q.c().push(v)
			q.unfinished++
		}
	}
}

// TryGet removes and returns the next item if there is one (gevent's
// get_nowait). It never switches.
func (q *base[T, C, PC]) TryGet() (T, bool) {
	q.mu.Lock()
	if q.c().len() == 0 {
		q.mu.Unlock()
		var zero T
		return zero, false
	}
	v := q.takeLocked()
	q.mu.Unlock()
	return v, true
}

// TryPeek returns the next item without removing it, if there is one
// (gevent's peek_nowait). It never switches.
func (q *base[T, C, PC]) TryPeek() (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.c().len() == 0 {
		var zero T
		return zero, false
	}
	return q.c().peek(), true
}

// Len returns the number of items in the queue (gevent's qsize). Items
// handed straight to a waiting Get are never counted.
func (q *base[T, C, PC]) Len() int {
	q.mu.Lock()
	n := q.c().len()
	q.mu.Unlock()
	return n
}

// Cap returns the queue's maximum size, or 0 when it is unbounded.
func (q *base[T, C, PC]) Cap() int { return max(q.maxsize, 0) }

// Empty reports whether the queue holds no item.
func (q *base[T, C, PC]) Empty() bool { return q.Len() == 0 }

// Full reports whether the queue holds Cap items; an unbounded queue is never
// full.
func (q *base[T, C, PC]) Full() bool {
	q.mu.Lock()
	full := q.fullLocked()
	q.mu.Unlock()
	return full
}

// Shutdown shuts the queue down: later Put calls return ErrShutDown, and Get
// and Peek return ErrShutDown once the queue is empty. With immediate, the
// items still queued are dropped, each counted as done (which may release
// Join), so Get fails at once. Every blocked Get, Peek and Put returns
// ErrShutDown (a blocked Put's item is not added). Calling it again is
// allowed. It never waits.
func (q *base[T, C, PC]) Shutdown(immediate bool) {
	q.mu.Lock()
	q.shutdown = true
	if immediate {
		// Count each dropped item as done, but never below zero (TaskDone
		// may have run ahead of Get), as CPython's shutdown does.
		q.doneLocked(min(q.c().clear(), q.unfinished))
	}
	q.getters.failAll(ErrShutDown)
	q.putters.failAll(ErrShutDown)
	q.mu.Unlock()
}

// TaskDone marks one item as processed: each Get that received an item is
// meant to be followed by one TaskDone. When every item put has been marked
// done, blocked Join calls return. Calling it more times than items were put
// is a bug in the caller, as a negative sync.WaitGroup counter is: it panics,
// changing nothing (gevent raises ValueError); an error would be dropped by
// the usual defer q.TaskDone().
func (q *base[T, C, PC]) TaskDone() {
	q.mu.Lock()
	if q.unfinished <= 0 {
		q.mu.Unlock() // panic with the lock released: nothing hangs
		panic(taskDoneTooMany)
	}
	q.doneLocked(1)
	q.mu.Unlock()
}

func (q *base[T, C, PC]) doneLocked(n int) {
	q.unfinished -= n
	if q.unfinished == 0 {
		q.joiners.WakeAll()
	}
}

// Join waits until every item put has been marked done with TaskDone (or
// dropped by an immediate Shutdown). It returns at once, without switching,
// when nothing is unfinished (for instance when nothing was ever put), and
// ctx's cause when ctx ends first.
func (q *base[T, C, PC]) Join(ctx context.Context) error {
	if ctx == nil {
		panic("gevent/queue: Join: nil ctx")
	}
	q.mu.Lock()
	if q.unfinished == 0 {
		q.mu.Unlock()
		return nil
	}
	w, err := core.PrepareOn(ctx, waitQueueJoin, q.descPtr())
	if err != nil {
		q.mu.Unlock()
		return err
	}
	q.joiners.PushBack(w)
	q.mu.Unlock()
	if err = w.Block(ctx); err != nil {
		q.mu.Lock()
		q.joiners.Remove(w)
		q.mu.Unlock()
	}
	w.Release()
	return err
}

// All returns an iterator over the items of the queue: each step is a Get.
// The sequence ends when the queue is shut down and empty, or when ctx ends
// (it then stops before taking another item, even if items are queued). An
// item is taken only when the loop asks for the next one, so breaking out of
// the loop leaves every remaining item in the queue.
func (q *base[T, C, PC]) All(ctx context.Context) iter.Seq[T] {
	if ctx == nil {
		panic("gevent/queue: All: nil ctx")
	}
	return all(ctx, q.Get)
}

// all is the iterator of every queue kind over its Get.
func all[T any](ctx context.Context, get func(context.Context) (T, error)) iter.Seq[T] {
	return func(yield func(T) bool) {
		// Check ctx before each Get: Get's fast path ignores a cancelled
		// ctx, and checking after it would drop the item it returned.
		for core.Cause(ctx) == nil {
			v, err := get(ctx)
			if err != nil || !yield(v) {
				return
			}
		}
	}
}
