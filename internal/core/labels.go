package core

// pprof labels: a greenlet runs with the profiler labels of the context it
// was spawned with (pprof.Do), whatever coroutine it gets.
//
// A coroutine's goroutine inherits the labels of the goroutine that created
// it (the hub's) and keeps whatever a greenlet set, across reuse; so at each
// greenlet's first run the coroutine adopts the labels of the greenlet's
// spawn context. The common case costs a short pointer walk and a compare:
// the label source of a greenlet is the first context of its values chain
// that is not the library's (greenlets, timeouts and the hub's context add
// no labels), and a coroutine remembers the source it adopted last, so the
// greenlets of one hub, which share it, set nothing.

import (
	"context"
	"runtime/pprof"
	"unsafe"
)

// labelSource returns the context whose labels a greenlet whose values
// parent is ctx runs with.
func labelSource(ctx context.Context) context.Context {
	for {
		switch c := ctx.(type) {
		case *G:
			ctx = c.values
		case *TimerCtx:
			ctx = c.values
		case *HubCtx:
			return c.Context
		default:
			return ctx
		}
	}
}

// ctxWord identifies a context value by its data word (comparing the
// interfaces could panic on a context of a non-comparable type).
func ctxWord(ctx context.Context) unsafe.Pointer {
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&ctx))[1]
}

// adoptLabels gives the coroutine's goroutine the labels of g's spawn
// context, unless it has them already. Coroutine goroutine, before g runs.
func (c *coro) adoptLabels(g *G) {
	src := labelSource(g.values)
	w := ctxWord(src)
	if w == c.labels && w != nil {
		return
	}
	c.labels = w
	if src == nil {
		src = context.Background()
	}
	pprof.SetGoroutineLabels(src)
}
