package core

// The coroutine pool: greenlets run on reusable runtime coroutines.

import (
	"iter"
	"unsafe"
)

// coro is a reusable runtime coroutine that runs greenlets one after
// another: a greenlet gets one when it first runs, and gives it back when it
// ends (creating coroutines at spawn, or not reusing them, costs 4x).
//
// It has no field for iter.Pull's stop function: resuming an idle coroutine
// (g nil) ends it, which keeps the record at 32 bytes, a size class below 40
// (memory_parked: one per parked greenlet).
type coro struct {
	next  func() (struct{}, bool)
	yield func(struct{}) bool
	g     *G // the greenlet it runs; nil when idle
	// labels identifies the context whose pprof labels the goroutine
	// has (labels.go); nil: the labels it was created with.
	labels unsafe.Pointer
}

func (c *coro) resume() { c.next() }

func (c *coro) loop(yield func(struct{}) bool) {
	c.yield = yield
	var top byte
	for {
		g := c.g
		if g == nil { // end: resumed idle (see end)
			return
		}
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
		// Where this stack's frames begin, for the hub to prefetch them
		// when it reuses the coroutine (prefetchstack.go). Taken at
		// each end: the runtime moves a stack that grows or shrinks.
		h.endSP = uintptr(unsafe.Pointer(&top))
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
		prefetchStack(h.freeSP[n-1])
		h.freeSP = h.freeSP[:n-1]
		return c
	}
	c := &coro{}
	c.next, _ = iter.Pull(c.loop)
	return c
}

// end ends an idle coroutine's goroutine: resumed with no greenlet, its loop
// returns, and so does next.
func (c *coro) end() { c.next() }

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
		h.freeSP = h.freeSP[:n]
		c.end()
	}
}

// putCoro keeps a finished coroutine for reuse (trimCoros bounds the
// idle ones).
func (h *Hub) putCoro(c *coro) {
	h.free = append(h.free, c)
	h.freeSP = append(h.freeSP, h.endSP)
}
