package queue

import (
	"context"
	"iter"
	"sync"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/core"
)

// Channel is a rendezvous between putters and getters that holds no item
// (gevent's Channel, and Go's unbuffered chan): Put returns only once a Get
// has taken its item, and Get waits for a Put. Blocked putters and getters
// are each served in arrival order.
//
// The zero value is ready to use. A Channel must not be copied after first
// use. All methods are safe to call from any goroutine and from greenlets of
// any hub.
type Channel[T any] struct {
	mu       sync.Mutex // guards the fields below
	ws       waiters[T]
	shutdown bool
}

// Put hands v to a Get, waiting until one takes it. When a Get is already
// waiting, v goes to the first one still waiting (and Peek calls queued
// before it see v), and a greenlet then yields once so that the getter runs before
// the putter continues, as in gevent. A Put killed or timed out while it
// waits returns ctx's cause and its item is withdrawn: no Get receives it.
// It returns ErrShutDown after Shutdown. A waiting Get takes v even when ctx
// is already cancelled (as in gevent, a call that need not wait does not
// look at its timeout).
func (c *Channel[T]) Put(ctx context.Context, v T) error {
	if ctx == nil {
		panic("gevent/queue: Put: nil ctx")
	}
	c.mu.Lock()
	if c.shutdown {
		c.mu.Unlock()
		return ErrShutDown
	}
	if !c.ws.getters.empty() && c.ws.offer(v) {
		c.mu.Unlock()
		// The getter is committed to v; let it run first (gevent's put
		// switches here too), which is what keeps producer and consumer
		// in step.
		if core.Current(ctx) != nil {
			gevent.Yield(ctx)
		}
		return nil
	}
	w, err := core.PrepareOn(ctx, waitChannelPut, c.descPtr())
	if err != nil {
		c.mu.Unlock()
		return err
	}
	// v now belongs to a waiting Put: the waiting Peek calls may see it.
	c.ws.wakePeekers(v)
	r := c.ws.record(w)
	r.item = v
	c.ws.putters.pushBack(r)
	c.mu.Unlock()
	_, err = c.ws.unpark(w.Block(ctx), &c.mu, &c.ws.putters, r)
	return err
}

// TryPut hands v to a waiting Get if there is one, and reports whether it
// did. It never switches. When it fails, no Peek sees v.
func (c *Channel[T]) TryPut(v T) bool {
	c.mu.Lock()
	ok := !c.shutdown && !c.ws.getters.empty() && c.ws.offer(v)
	c.mu.Unlock()
	return ok
}

// Get takes an item from the first waiting Put, waiting for one if there is
// none; it does not switch when a Put is waiting. The item of a Put that gave
// up (killed, timed out) is never taken. It returns ErrShutDown after
// Shutdown, and ctx's cause when ctx ends first. The item of a waiting Put is
// taken even when ctx is already cancelled (as in gevent, a call that need
// not wait does not look at its timeout).
func (c *Channel[T]) Get(ctx context.Context) (T, error) {
	if ctx == nil {
		panic("gevent/queue: Get: nil ctx")
	}
	c.mu.Lock()
	if v, ok := c.takeLocked(); ok {
		c.mu.Unlock()
		return v, nil
	}
	// waitItem, written out: a frame fewer between Get and the switch.
	r, err := c.queueGetter(ctx, false)
	if r == nil {
		var zero T
		return zero, err
	}
	return c.ws.unpark(r.w.Block(ctx), &c.mu, &c.ws.getters, r)
}

// Peek returns the item of the first waiting Put without taking it, waiting
// for a Put if there is none; like Get, it returns one that is there even
// when ctx is already cancelled.
func (c *Channel[T]) Peek(ctx context.Context) (T, error) {
	if ctx == nil {
		panic("gevent/queue: Peek: nil ctx")
	}
	c.mu.Lock()
	if r := c.firstPutterLocked(); r != nil {
		v := r.item
		c.mu.Unlock()
		return v, nil
	}
	return c.waitItem(ctx, true)
}

// waitItem is the outlined slow path of Peek (and Get); c.mu is held on
// entry.
func (c *Channel[T]) waitItem(ctx context.Context, peek bool) (T, error) {
	r, err := c.queueGetter(ctx, peek)
	if r == nil {
		var zero T
		return zero, err
	}
	return c.ws.unpark(r.w.Block(ctx), &c.mu, &c.ws.getters, r)
}

// queueGetter queues a record for a Get or Peek and returns it; nil and the
// error when the call must not wait (shut down, ctx ended). Entered with
// c.mu held; it returns with c.mu released.
func (c *Channel[T]) queueGetter(ctx context.Context, peek bool) (*record[T], error) {
	if c.shutdown {
		c.mu.Unlock()
		return nil, ErrShutDown
	}
	w, err := core.PrepareOn(ctx, waitChannelGet, c.descPtr())
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	r := c.ws.record(w)
	r.peek = peek
	c.ws.getters.pushBack(r)
	c.mu.Unlock()
	return r, nil
}

// takeLocked takes the item of the first putter whose Wake succeeds, so that
// an item is taken only from a Put that will return success.
func (c *Channel[T]) takeLocked() (T, bool) {
	for r := c.ws.putters.popFront(); r != nil; r = c.ws.putters.popFront() {
		v := r.item // r is its owner's once Wake succeeds
		if r.w.Wake() {
			c.ws.handOff(r)
			return v, true
		}
	}
	var zero T
	return zero, false
}

// firstPutterLocked returns the first putter still waiting, dropping those
// that gave up, or nil.
func (c *Channel[T]) firstPutterLocked() *record[T] {
	for r := c.ws.putters.head; r != nil; r = c.ws.putters.head {
		if r.w.Waiting() {
			return r
		}
		c.ws.putters.remove(r) // cancelled: its owner finds it gone
	}
	return nil
}

// TryGet takes the item of a waiting Put if there is one (gevent's
// get_nowait). It never switches.
func (c *Channel[T]) TryGet() (T, bool) {
	c.mu.Lock()
	v, ok := c.takeLocked()
	c.mu.Unlock()
	return v, ok
}

// TryPeek returns the item of the first waiting Put without taking it, if
// there is one. It never switches.
func (c *Channel[T]) TryPeek() (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.firstPutterLocked(); r != nil {
		return r.item, true
	}
	var zero T
	return zero, false
}

// Len returns 0: a Channel holds no item.
func (c *Channel[T]) Len() int { return 0 }

// Cap returns 0: a Channel holds no item.
func (c *Channel[T]) Cap() int { return 0 }

// Empty returns true, as gevent's Channel.empty does: a Channel holds no item.
func (c *Channel[T]) Empty() bool { return true }

// Full returns true, as gevent's Channel.full does: there is never room to
// store an item (a Put succeeds only by meeting a Get).
func (c *Channel[T]) Full() bool { return true }

// Shutdown shuts the channel down: every blocked Put, Get and Peek, and every
// later one, returns ErrShutDown; no blocked Put's item is delivered. A
// Channel buffers nothing, so immediate makes no difference; it is accepted
// for symmetry with Queue. It never waits.
func (c *Channel[T]) Shutdown(immediate bool) {
	c.mu.Lock()
	c.shutdown = true
	c.ws.getters.failAll(ErrShutDown)
	c.ws.putters.failAll(ErrShutDown)
	c.mu.Unlock()
}

// All returns an iterator over the items put into the channel: each step is
// a Get. The sequence ends at Shutdown or when ctx ends; breaking out of the
// loop takes no further item.
func (c *Channel[T]) All(ctx context.Context) iter.Seq[T] {
	if ctx == nil {
		panic("gevent/queue: All: nil ctx")
	}
	return all(ctx, c.Get)
}
