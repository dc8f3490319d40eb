package sim

import (
	"net"
	"os"
	"time"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// Listener is a simulated stream listener on a port of a Host. It
// implements net.Listener: Accept parks the calling greenlet of the
// listener's hub until a connection request arrives. Close and SetDeadline
// are safe from any goroutine.
type Listener struct {
	net  *Net
	hub  *core.Hub
	host *Host
	port int
	addr *net.TCPAddr
	// goroutine says a plain goroutine made it (see waitCtx); its
	// connections are goroutines' too.
	goroutine bool

	// Guarded by net.mu.
	closed    bool
	queue     []*Conn // established, not yet accepted
	acceptors core.WaitList
	dl        int64 // accept deadline (hub clock; noDeadline: none)
}

// Accept returns the next connection, parking the calling greenlet until
// one arrives, the deadline passes (os.ErrDeadlineExceeded), Close is
// called (net.ErrClosed) or the greenlet is killed (its cause; no
// connection is lost: it stays queued for the next Accept).
func (l *Listener) Accept() (net.Conn, error) {
	n := l.net
	n.mu.Lock()
	for {
		if l.closed {
			n.mu.Unlock()
			return nil, l.opError(closedError(l.hub, l.goroutine))
		}
		if len(l.queue) > 0 {
			c := l.queue[0]
			l.queue[0] = nil
			l.queue = l.queue[1:]
			n.mu.Unlock()
			return c, nil
		}
		if l.hub.Nanotime() >= l.dl {
			n.mu.Unlock()
			return nil, l.opError(os.ErrDeadlineExceeded)
		}
		if err := n.park(l.hub, waitCtx(l.hub, l.goroutine), &l.acceptors, l.dl, waitSimAccept, unsafe.Pointer(l)); err != nil {
			n.mu.Unlock()
			return nil, l.opError(err)
		}
	}
}

// Close stops listening: parked and later Accepts fail with net.ErrClosed,
// and the connections not yet accepted are reset. Any goroutine.
func (l *Listener) Close() error {
	n := l.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if l.closed {
		return l.opError(net.ErrClosed)
	}
	l.closeLocked()
	return nil
}

// closeLocked closes l. n.mu is held.
func (l *Listener) closeLocked() {
	l.closed = true
	if l.host.listeners[l.port] == l {
		delete(l.host.listeners, l.port)
		l.host.unbindLocked(l.port)
	}
	for _, c := range l.queue {
		c.abortLocked(nil)
	}
	l.queue = nil
	wakeAll(&l.acceptors, nil)
}

// Addr returns the listening address (a *net.TCPAddr).
func (l *Listener) Addr() net.Addr { return l.addr }

// SetDeadline sets the deadline for Accept (zero: none), read against the
// hub clock; it applies to a parked Accept too. Any goroutine.
func (l *Listener) SetDeadline(t time.Time) error {
	return l.net.setDeadline(l.hub, &l.dl, &l.acceptors, t)
}

// Simulated reports true: package socket's WrapListener (and so
// server.StreamServer.Serve) uses the listener unchanged, and admits it in
// a simulation that refuses real I/O.
func (l *Listener) Simulated() bool { return true }

func (l *Listener) opError(err error) error {
	return &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: asTimeout(err)}
}
