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
	"reflect"
	"runtime/pprof"
	"time"
	"unsafe"
)

// labelSource returns the context whose labels a greenlet whose values
// parent is ctx runs with, and a key that identifies it: greenlets spawned
// from one foreign context share the key although each has its own
// foreignValues.
func labelSource(ctx context.Context) (context.Context, unsafe.Pointer) {
	for {
		switch c := ctx.(type) {
		case *G:
			ctx = c.values
		case *TimerCtx:
			ctx = c.values
		case *HubCtx:
			return c.Context, ctxWord(c.Context)
		case *foreignValues:
			return c, ctxWord(c.parent)
		default:
			return ctx, ctxWord(ctx)
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
	src, key := labelSource(g.values)
	if key == c.labels && key != nil {
		return
	}
	c.labels = key
	if src == nil {
		src = context.Background()
	}
	pprof.SetGoroutineLabels(src)
}

// foreignValues is a foreign context seen by a library context for its
// values only, as context.WithoutCancel sees it (never done, no deadline,
// no cause), in a type of the core's so that labelSource can see through
// it.
type foreignValues struct{ parent context.Context }

func (*foreignValues) Deadline() (time.Time, bool) { return time.Time{}, false }

func (*foreignValues) Done() <-chan struct{} { return nil }

func (*foreignValues) Err() error { return nil }

func (f *foreignValues) Value(key any) any {
	if key == cancelCtxKey && key != nil {
		return nil // an ancestor's cancellation is not ours
	}
	return f.parent.Value(key)
}

func (f *foreignValues) String() string { return "gevent.values(" + contextName(f.parent) + ")" }

// contextName names a context the way the context package's String methods
// do.
func contextName(c context.Context) string {
	if s, ok := c.(interface{ String() string }); ok {
		return s.String()
	}
	return reflect.TypeOf(c).String()
}
