package core

import (
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
)

// This file holds the pieces of the default failure report (Hub.report):
// a report names the greenlet's function (or its name), its id and a number
// never reused in the process, and lays a panic's stack out as one attribute
// per frame.

// uidSeq hands out the process-wide numbers of reported greenlets.
var uidSeq atomic.Uint64

// uidOf returns g's process-wide number, assigning it on first use (only
// reports ask, so spawning pays nothing for it).
func (h *Hub) uidOf(g *G) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if g.extra == nil {
		g.extra = &gExtra{}
	}
	if g.extra.uid == 0 {
		g.extra.uid = uidSeq.Add(1)
	}
	return g.extra.uid
}

// bodyFunc is implemented by the root package's greenlet bodies: it returns
// the user's function, for reports.
type bodyFunc interface{ BodyFunc() any }

// funcName returns the name of g's function ("" when unknown).
func funcName(g *G) string {
	b, ok := g.body.(bodyFunc)
	if !ok {
		return ""
	}
	return FuncName(b.BodyFunc())
}

// failureAttrs describes a failed greenlet (nil: a callback) and its error
// for the default report.
func (h *Hub) failureAttrs(g *G, err error) []any {
	var attrs []any
	if g != nil {
		id := g.ID()
		name := g.Name()
		fn := funcName(g)
		if name == "Greenlet-"+itoa(id) && fn != "" {
			attrs = append(attrs, "greenlet", fn) // the default name says no more than id
		} else {
			attrs = append(attrs, "greenlet", name)
			if fn != "" {
				attrs = append(attrs, "func", fn)
			}
		}
		attrs = append(attrs, "id", id, "uid", h.uidOf(g))
	}
	attrs = append(attrs, "err", err)
	if stack, ok := h.opts.Panics.Stack(err); ok {
		attrs = append(attrs, stackAttr(stack))
	}
	return attrs
}

// stackAttr turns a debug.Stack dump into a "stack" group with one attribute
// per frame ("function file:line"), so that every handler prints it as
// separate values instead of one string of escaped newlines. The frames of
// the recovery (above the panic) and of the hub (below the greenlet's body)
// are left out.
func stackAttr(stack []byte) slog.Attr {
	lines := strings.Split(strings.TrimRight(string(stack), "\n"), "\n")
	if len(lines) > 0 && strings.HasPrefix(lines[0], "goroutine ") {
		lines = lines[1:]
	}
	var frames []string
	for i := 0; i+1 < len(lines); i += 2 {
		loc := strings.TrimSpace(lines[i+1])
		if j := strings.LastIndex(loc, " +0x"); j >= 0 {
			loc = loc[:j]
		}
		frames = append(frames, lines[i]+" "+loc)
	}
	// Start below the last panic frame, and end at the root package's
	// RunBody, which calls the greenlet's function.
	for i := len(frames) - 1; i >= 0; i-- {
		if strings.HasPrefix(frames[i], "panic(") {
			frames = frames[i+1:]
			break
		}
	}
	for i, f := range frames {
		if strings.HasPrefix(f, "github.com/gevent-go/gevent.") && strings.Contains(f, ").RunBody(") {
			frames = frames[:i]
			break
		}
	}
	attrs := make([]any, len(frames))
	for i, f := range frames {
		attrs[i] = slog.String(strconv.Itoa(i), f)
	}
	return slog.Group("stack", attrs...)
}

// reportEnd reports the failure of g, which has just ended on its
// coroutine, from the hub's goroutine (where the error handler may not
// block, as in any callback) before anything queued after the end.
func (h *Hub) reportEnd(g *G) {
	h.enterCallback()
	defer h.leaveCallback()
	h.report(g, g.err)
}

// report hands a failure to the error handler (once per failed greenlet).
// The main greenlet's failure is not reported: Run returns it.
func (h *Hub) report(g *G, err error) {
	if g != nil && g == h.main {
		return
	}
	if f := h.opts.ErrorHandler; f != nil {
		func() {
			// A handler that panics must not take the hub down (gevent
			// tolerates a raising handle_error).
			defer func() { _ = recover() }()
			f(g, err)
		}()
		return
	}
	if g != nil {
		slog.Error("gevent: greenlet failed", h.failureAttrs(g, err)...)
	} else {
		slog.Error("gevent: callback failed", h.failureAttrs(g, err)...)
	}
}
