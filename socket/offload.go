package socket

import (
	"context"
	"sync"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// aLongTimeAgo is a deadline in the past: setting it interrupts a blocked
// standard-library call at once.
var aLongTimeAgo = time.Unix(1, 0)

// offloadCall hands one operation's result from its goroutine to the parked
// greenlet.
type offloadCall[T any] struct {
	mu   sync.Mutex // guards the fields below
	w    *core.Waiter
	v    T
	err  error
	done bool
}

// offload runs op on a new goroutine while the running greenlet g parks
// (cancellably with ctx, which is g or derives from it): the
// path for connections without a file descriptor (net.Pipe, a tls.Conn) and
// for systems without the epoll poller, and for name resolution.
//
// When g is killed (or its wait otherwise ends early), offload calls
// interrupt, which must make op return promptly (a deadline in the past, a
// cancelled context), waits for op without being cancellable, and returns
// op's result together with the cause: nothing op produced is lost, the
// caller decides what to keep. cause is nil when op ran to its end.
func offload[T any](ctx context.Context, g *core.G, op func() (T, error), interrupt func()) (v T, err, cause error) {
	h := g.Hub()
	r := &offloadCall[T]{}
	w, cause := core.Prepare(ctx)
	if cause != nil {
		return v, nil, cause
	}
	r.w = w
	h.Hold()
	go func() {
		v, err := op()
		r.mu.Lock()
		r.v, r.err, r.done = v, err, true
		if r.w != nil {
			r.w.Wake()
		}
		r.mu.Unlock()
		h.Unhold()
		h.Post(func() {}) // let a stopping hub see the hold released
	}()
	cause = w.Block(ctx)
	r.mu.Lock()
	if cause != nil && !r.done {
		// Wait for op, uncancellably: the goroutine still owns the buffer
		// (or will produce a connection someone must close).
		still := context.WithoutCancel(g)
		w2, _ := core.Prepare(still)
		r.w = w2
		r.mu.Unlock()
		interrupt()
		_ = w2.Block(still)
		w2.Release()
		r.mu.Lock()
	}
	r.w = nil
	v, err = r.v, r.err
	r.mu.Unlock()
	w.Release()
	return v, err, cause
}

// readOffload is Read off the hub.
func (c *Conn) readOffload(g *core.G, b []byte) (int, error) {
	n, err, cause := offload(g, g, func() (int, error) { return c.c.Read(b) },
		func() { c.c.SetReadDeadline(aLongTimeAgo) })
	if cause != nil {
		c.c.SetReadDeadline(timeOf(c.rdl.Load()))
		return n, c.opError("read", cause)
	}
	return n, err
}

// writeOffload is Write off the hub.
func (c *Conn) writeOffload(g *core.G, b []byte) (int, error) {
	n, err, cause := offload(g, g, func() (int, error) { return c.c.Write(b) },
		func() { c.c.SetWriteDeadline(aLongTimeAgo) })
	if cause != nil {
		c.c.SetWriteDeadline(timeOf(c.wdl.Load()))
		return n, c.opError("write", cause)
	}
	return n, err
}
