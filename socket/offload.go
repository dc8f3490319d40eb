package socket

import (
	"context"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// aLongTimeAgo is a deadline in the past: setting it interrupts a blocked
// standard-library call at once.
var aLongTimeAgo = time.Unix(1, 0)

// offload runs op on a new goroutine while the calling greenlet parks
// (cancellably with ctx, a greenlet's context or one derived from it): the
// path for connections without a file descriptor (net.Pipe, a tls.Conn) and
// for systems without the epoll poller, and for name resolution.
//
// When the wait ends early (a kill, a timeout), an op that had not started
// never runs; a running one is interrupted (interrupt must make it return
// promptly: a deadline in the past, a cancelled context) and waited for
// without being cancellable. offload then returns op's result together with
// the cause: nothing op produced is lost, the caller decides what to keep.
// cause is nil when op ran to its end.
func offload[T any](ctx context.Context, op func() (T, error), interrupt func()) (v T, err, cause error) {
	o, cause := core.NewOffload[T](ctx)
	if cause != nil {
		return v, nil, cause
	}
	o.Describe("socket", op)
	go o.Run(op)
	v, err, cause = o.Wait(ctx)
	if cause != nil {
		interrupt()
		v, err = o.Finish(ctx)
	}
	return v, err, cause
}

// readOffload is Read off the hub.
func (c *Conn) readOffload(g *core.G, b []byte) (int, error) {
	mustPark(g, "Read")
	n, err, cause := offload(g, func() (int, error) { return c.c.Read(b) },
		func() { c.c.SetReadDeadline(aLongTimeAgo) })
	if cause != nil {
		c.c.SetReadDeadline(timeOf(c.rdl.Load()))
		return n, c.opError("read", cause)
	}
	return n, err
}

// writeOffload is Write off the hub.
func (c *Conn) writeOffload(g *core.G, b []byte) (int, error) {
	mustPark(g, "Write")
	n, err, cause := offload(g, func() (int, error) { return c.c.Write(b) },
		func() { c.c.SetWriteDeadline(aLongTimeAgo) })
	if cause != nil {
		c.c.SetWriteDeadline(timeOf(c.wdl.Load()))
		return n, c.opError("write", cause)
	}
	return n, err
}
