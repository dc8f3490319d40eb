package core

// Execution-trace annotations (runtime/trace). While the tracer runs (the
// hub samples trace.IsEnabled once per loop iteration), every greenlet is a
// trace task, a child of its parent greenlet's task, named
// "gevent.greenlet"; each of its run slices is a region named after it,
// started when its coroutine resumes and ended before it parks (both on the
// coroutine's goroutine, as regions require); each park logs, in category
// "gevent.wait", what it waits in (the wait record's kind and the
// primitive's function: "event event.(*notifier).waitLocked"). Go's tracer
// already shows the coroutine switches as goroutine transitions: the
// annotations name them. With the tracer off, nothing runs but a test of
// the sampled flag.

import (
	"context"
	"runtime"
	"runtime/trace"
	"strings"
)

// gTrace is a greenlet's trace state, in Hub.traces (loop-only).
type gTrace struct {
	ctx    context.Context // carries the greenlet's task
	task   *trace.Task
	parent *gTrace // the parent greenlet's, when it had one at the start
	region *trace.Region
	name   string
}

// parkKind says how a greenlet parks, for the trace log.
type parkKind uint8

const (
	parkYield parkKind = iota // Yield: back to the end of the queue
	parkSleep                 // Sleep on the hub's timer
	parkWait                  // Waiter.Block: the caller is the primitive
)

// parkTraced is a park (the coroutine handed back to the hub until the
// greenlet is resumed) while the tracer runs: the call sites test
// Hub.tracing and yield directly otherwise, so that an untraced park costs
// one load and a branch, not a call. Greenlet only.
func (g *G) parkTraced(kind parkKind) {
	h := g.hub
	h.traceParked(g, kind)
	g.co.yield(struct{}{})
	if h.tracing {
		h.traceResumed(g)
	}
}

// traceState returns g's trace state, making its task on first use (at its
// first run, or at its first switch after the tracer started).
func (h *Hub) traceState(g *G) *gTrace {
	if st := h.traces[g]; st != nil {
		return st
	}
	if h.traces == nil {
		h.traces = make(map[*G]*gTrace)
	}
	st := &gTrace{name: g.Name()}
	parent := context.Background()
	if p := g.Parent; p != nil {
		if pt := h.traces[p]; pt != nil {
			st.parent = pt
			parent = pt.ctx
		}
	}
	st.ctx, st.task = trace.NewTask(parent, "gevent.greenlet")
	trace.Log(st.ctx, "gevent.greenlet", st.name)
	h.traces[g] = st
	return st
}

// traceBegin opens g's task and first region. Coroutine goroutine.
func (h *Hub) traceBegin(g *G) {
	st := h.traceState(g)
	st.region = trace.StartRegion(st.ctx, st.name)
}

// traceParked ends g's run slice and logs what it waits in.
func (h *Hub) traceParked(g *G, kind parkKind) {
	st := h.traceState(g)
	what := parkWhat(kind)
	if kind == parkWait {
		what = g.wb.w.kind.String() + " " + what // the wait record's kind, then the primitive
	}
	trace.Log(st.ctx, "gevent.wait", what)
	if st.region != nil {
		st.region.End()
		st.region = nil
	}
}

// traceResumed starts g's next run slice.
func (h *Hub) traceResumed(g *G) {
	st := h.traceState(g)
	st.region = trace.StartRegion(st.ctx, st.name)
}

// traceEnd closes g's task when it has ended. Coroutine goroutine.
func (h *Hub) traceEnd(g *G) {
	st := h.traces[g]
	if st == nil {
		return
	}
	if st.region != nil {
		st.region.End()
	}
	st.task.End()
	delete(h.traces, g)
	if len(h.traces) == 0 {
		h.traces = nil // the end of the next greenlet costs one test again
	}
}

// parkWhat names a park for the trace: the primitive that waits (the first
// caller outside this package), or Yield and Sleep.
func parkWhat(kind parkKind) string {
	switch kind {
	case parkYield:
		return "yield"
	case parkSleep:
		return "sleep"
	}
	var pcs [16]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "github.com/gevent-go/gevent/internal/core.") {
			name := f.Function
			return name[strings.LastIndex(name, "/")+1:]
		}
		if !more {
			return "wait"
		}
	}
}
