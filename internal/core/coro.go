package core

// The coroutine pool: greenlets run on reusable runtime coroutines.

import (
	"iter"
	"unsafe"
)

// coro is a reusable runtime coroutine that runs greenlets one after
// another: a greenlet gets one when it first runs, and gives it back when it
// ends (creating coroutines at spawn, or not reusing them, costs 4x).
type coro struct {
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool
	g     *G // the greenlet it runs; nil when idle
	// labels identifies the context whose pprof labels the goroutine
	// has (labels.go); nil: the labels it was created with.
	labels unsafe.Pointer
	// sp is an address in the top frame of the coroutine's stack (loop's),
	// for prefetchStack; only a hint (the stack may have moved since).
	sp uintptr
}

func (c *coro) resume() { c.next() }

func (c *coro) loop(yield func(struct{}) bool) {
	c.yield = yield
	var top byte
	for {
		// Taken again for each greenlet: the runtime moves a stack that
		// grows or shrinks.
		c.sp = uintptr(unsafe.Pointer(&top))
		g := c.g
		c.adoptLabels(g)
		h := g.hub
		if h.tracing {
			h.traceBegin(g)
		}
		g.run()
		if h.traces != nil {
			h.traceEnd(g)
		}
		c.g = nil
		if !yield(struct{}{}) {
			return
		}
	}
}

func (h *Hub) getCoro() *coro {
	if n := len(h.free); n > 0 {
		c := h.free[n-1]
		h.free[n-1] = nil
		h.free = h.free[:n-1]
		if n > 1 {
			// Prefetch the record of the coroutine the next start will
			// take (see prefetchDue).
			prefetch(uintptr(unsafe.Pointer(h.free[n-2])))
		}
		c.prefetchStack()
		return c
	}
	c := &coro{}
	c.next, c.stop = iter.Pull(c.loop)
	return c
}

// Idle coroutines are kept while the hub is busy (creating a coroutine costs
// a goroutine and several allocations, reusing one costs nothing) and trimmed
// to keepIdleCoros, trimChunk at a time, whenever the hub is about to sleep
// for a millisecond or more: a burst of parked greenlets does not pin its
// coroutines for long, and trimming never delays runnable work.
const (
	keepIdleCoros = 256
	trimChunk     = 1024
)

func (h *Hub) trimCoros() {
	if len(h.freeWB) > keepIdleCoros {
		clear(h.freeWB[keepIdleCoros:])
		h.freeWB = h.freeWB[:keepIdleCoros]
	}
	for i := 0; i < trimChunk && len(h.free) > keepIdleCoros; i++ {
		n := len(h.free) - 1
		c := h.free[n]
		h.free[n] = nil
		h.free = h.free[:n]
		c.stop()
	}
}

// putCoro keeps a finished coroutine for reuse (trimCoros bounds the
// idle ones).
func (h *Hub) putCoro(c *coro) {
	h.free = append(h.free, c)
}
