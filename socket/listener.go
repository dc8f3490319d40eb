package socket

import (
	"net"
	"sync/atomic"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// Listener is a cooperative net.Listener bound to one hub: Accept called by
// a greenlet of that hub parks only that greenlet. Listen and WrapListener
// return it for TCP and Unix listeners. The connections it accepts are
// *Conn values bound to the same hub. It must not be copied.
//
// Accept parks the running greenlet of the Listener's hub: call it from that
// hub's greenlets only (when the hub runs no greenlet it blocks the calling
// goroutine; inside a hub callback it panics when it would wait, as Conn's
// Read does). Close, Addr and SetDeadline are safe from any goroutine: Close
// is how a server stops accepting, it makes a parked Accept return an error
// wrapping net.ErrClosed.
type Listener struct {
	ln   net.Listener
	h    *core.Hub
	net  string
	addr net.Addr

	// dl is the accept deadline (unixNano, 0: none), written by
	// SetDeadline from any goroutine.
	dl atomic.Int64

	sys sysListener

	// prev is the fast path of the Listener of another hub this one was
	// rebound from (rebind.go); Close closes it too. Set before first use.
	prev descCloser

	// early is a connection the standard Accept returned off the hub after
	// the wait for it had ended (a kill, a timeout): the next Accept
	// returns it, so that no connection is lost to a waiter that gave up;
	// Close closes it. closed is set by Close before it takes early, and
	// checked by Accept after it stores one: one of them closes it.
	early  atomic.Pointer[net.Conn]
	closed atomic.Bool
}

func newListener(h *core.Hub, ln net.Listener) *Listener {
	l := &Listener{ln: ln, h: h, addr: ln.Addr()}
	if l.addr != nil {
		l.net = l.addr.Network()
	}
	l.sys.init(ln)
	return l
}

// Accept waits for the next connection, parking the calling greenlet until
// one arrives, the deadline passes, Close is called or the greenlet is
// killed (it then returns the kill cause, wrapped in a *net.OpError). A
// connection accepted just as the wait ended is not lost: the next Accept
// returns it.
func (l *Listener) Accept() (net.Conn, error) {
	g := l.h.Current()
	if g == nil && !core.InHubCallback() {
		c, err := l.ln.Accept()
		if err != nil {
			return nil, err
		}
		return newConn(l.h, c), nil
	}
	return l.accept(g)
}

// Close stops listening and makes every parked Accept return an error
// wrapping net.ErrClosed. Any goroutine.
func (l *Listener) Close() error {
	l.closed.Store(true)
	if c := l.early.Swap(nil); c != nil {
		(*c).Close()
	}
	l.sys.close()
	if l.prev != nil {
		l.prev.close()
	}
	return l.ln.Close()
}

// Addr returns the listening address (for TCP, a *net.TCPAddr with the port
// the system chose for ":0").
func (l *Listener) Addr() net.Addr { return l.addr }

// NetListener returns the wrapped standard listener.
func (l *Listener) NetListener() net.Listener { return l.ln }

// SetDeadline sets the deadline for Accept (zero: none); it applies to an
// Accept already parked, too. Any goroutine.
func (l *Listener) SetDeadline(t time.Time) error {
	if dl, ok := l.ln.(interface{ SetDeadline(time.Time) error }); ok {
		if err := dl.SetDeadline(t); err != nil {
			return err
		}
	}
	l.dl.Store(unixNano(t))
	l.sys.deadlineChanged()
	return nil
}

func (l *Listener) opError(err error) error {
	if oe, ok := err.(*net.OpError); ok {
		err = oe.Err
	}
	err = asTimeout(err)
	return &net.OpError{Op: "accept", Net: l.net, Source: nil, Addr: l.addr, Err: err}
}

// acceptOffload is Accept off the hub.
func (l *Listener) acceptOffload(g *core.G) (net.Conn, error) {
	mustPark(g, "Accept")
	if c := l.early.Swap(nil); c != nil {
		return newConn(l.h, *c), nil
	}
	c, err, cause := offload(g, l.ln.Accept, func() {
		if dl, ok := l.ln.(interface{ SetDeadline(time.Time) error }); ok {
			dl.SetDeadline(aLongTimeAgo)
		}
	})
	if cause != nil {
		if dl, ok := l.ln.(interface{ SetDeadline(time.Time) error }); ok {
			dl.SetDeadline(timeOf(l.dl.Load()))
		}
		if c != nil {
			// Accepted as the wait ended: kept for the next Accept.
			l.early.Store(&c)
			if l.closed.Load() {
				if c := l.early.Swap(nil); c != nil {
					(*c).Close()
				}
			}
		}
		return nil, l.opError(cause)
	}
	if err != nil {
		return nil, err
	}
	return newConn(l.h, c), nil
}
