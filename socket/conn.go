package socket

import (
	"math"
	"net"
	"sync/atomic"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// Conn is a cooperative net.Conn bound to one hub: Read and Write called by
// a greenlet of that hub park only that greenlet while the hub runs others.
// Dial and WrapConn return it (as a net.Conn) for TCP, UDP and Unix
// connections. It must not be copied.
//
// Read, Write and SetDeadline follow net.Conn exactly: a deadline makes a
// blocked call fail with an error wrapping os.ErrDeadlineExceeded; Close,
// from any goroutine, makes blocked calls fail with net.ErrClosed; a read at
// end of stream returns io.EOF itself. A greenlet killed while it waits in
// Read or Write gets the kill cause (wrapped in a *net.OpError; errors.Is
// finds it), and the connection stays usable.
//
// Read and Write park the running greenlet of the Conn's hub: call them from
// that hub's greenlets only. Called when the hub runs no greenlet (the hub
// has stopped), they block the calling goroutine like the standard library's;
// called inside a hub callback (a RawLink or OnReady function, a timer or
// posted function), they do what needs no wait and panic when they would
// wait, since that would block the hub (gevent's BlockingSwitchOutError).
// Close, LocalAddr, RemoteAddr and the Set*Deadline methods are safe from any
// goroutine.
type Conn struct {
	c     net.Conn
	h     *core.Hub
	net   string
	laddr net.Addr
	raddr net.Addr

	// rdl and wdl are the read and write deadlines (unixNano: saturated
	// UnixNano, 0: none), written by Set*Deadline from any goroutine and
	// read by parked calls.
	rdl, wdl atomic.Int64

	sys sysConn // the platform's fast path

	// prev is the fast path of the value of another hub this one was
	// rebound from (rebind.go); Close closes it too. Set before first use.
	prev descCloser
}

func newConn(h *core.Hub, c net.Conn) *Conn {
	cn := &Conn{c: c, h: h, laddr: c.LocalAddr(), raddr: c.RemoteAddr()}
	if cn.laddr != nil {
		cn.net = cn.laddr.Network()
	}
	cn.sys.init(cn, c)
	return cn
}

// NetConn returns the wrapped standard connection (for socket options such as
// SetNoDelay). Using its blocking methods from a greenlet blocks the hub.
func (c *Conn) NetConn() net.Conn { return c.c }

// Read reads up to len(b) bytes, parking the calling greenlet until data, end
// of stream, the read deadline, Close or the greenlet's kill.
func (c *Conn) Read(b []byte) (int, error) {
	g := c.h.Current()
	if g == nil && !core.InHubCallback() {
		return c.c.Read(b)
	}
	return c.read(g, b)
}

// Write writes all of b, parking the calling greenlet while the socket's
// buffer is full. On error it returns how much was written.
func (c *Conn) Write(b []byte) (int, error) {
	g := c.h.Current()
	if g == nil && !core.InHubCallback() {
		return c.c.Write(b)
	}
	return c.write(g, b)
}

// Close closes the connection and makes every blocked Read and Write return
// net.ErrClosed. Any goroutine.
func (c *Conn) Close() error {
	c.sys.close()
	if c.prev != nil {
		c.prev.close()
	}
	return c.c.Close()
}

// CloseWrite shuts down the writing side (TCP and Unix connections); the
// peer reads io.EOF.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return &net.OpError{Op: "close", Net: c.net, Source: c.laddr, Addr: c.raddr, Err: errUnsupported}
}

// CloseRead shuts down the reading side (TCP and Unix connections).
func (c *Conn) CloseRead() error {
	if cr, ok := c.c.(interface{ CloseRead() error }); ok {
		return cr.CloseRead()
	}
	return &net.OpError{Op: "close", Net: c.net, Source: c.laddr, Addr: c.raddr, Err: errUnsupported}
}

// LocalAddr returns the local address.
func (c *Conn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr returns the remote address.
func (c *Conn) RemoteAddr() net.Addr { return c.raddr }

// SetDeadline sets both deadlines. A deadline reached while a call is parked
// wakes it with os.ErrDeadlineExceeded. Any goroutine.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets the read deadline (zero: none); it applies to a Read
// already parked, too. Any goroutine.
func (c *Conn) SetReadDeadline(t time.Time) error {
	err := c.c.SetReadDeadline(t)
	if err != nil {
		return err
	}
	c.rdl.Store(unixNano(t))
	c.sys.deadlineChanged(false)
	return nil
}

// SetWriteDeadline sets the write deadline (zero: none). Any goroutine.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	err := c.c.SetWriteDeadline(t)
	if err != nil {
		return err
	}
	c.wdl.Store(unixNano(t))
	c.sys.deadlineChanged(true)
	return nil
}

func (c *Conn) opError(op string, err error) error {
	if oe, ok := err.(*net.OpError); ok {
		err = oe.Err
	}
	err = asTimeout(err)
	return &net.OpError{Op: op, Net: c.net, Source: c.laddr, Addr: c.raddr, Err: err}
}

// The instants UnixNano can represent (years 1678 to 2262). A deadline
// outside them saturates: one after maxNano never comes (as a standard
// net.Conn's), one before minNano has passed.
var (
	minNano = time.Unix(0, math.MinInt64)
	maxNano = time.Unix(0, math.MaxInt64)
)

// unixNano converts a deadline to the int64 the parked calls read (0: none).
// t.UnixNano alone overflows past 2262, turning time.Now().Add(math.MaxInt64)
// into a date in 1734, a deadline already passed.
func unixNano(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.After(maxNano):
		return math.MaxInt64
	case t.Before(minNano):
		return math.MinInt64
	}
	if n := t.UnixNano(); n != 0 {
		return n
	}
	return 1 // the epoch itself: a time long past, but not "none"
}

// timeOf converts back; a saturated far-future deadline becomes none (the
// zero time), so that no hub timer is armed for a wait of centuries.
func timeOf(n int64) time.Time {
	if n == 0 || n == math.MaxInt64 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
