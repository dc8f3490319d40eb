package sim

import (
	"context"
	"io"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// Conn is a simulated stream connection (a TCP connection between two hosts
// of a Net). It implements net.Conn with TCP's contract, as described on
// Net: Read and Write park the calling greenlet of the connection's hub.
// Close, CloseWrite and the deadline setters are safe from any goroutine.
type Conn struct {
	net   *Net
	id    uint64 // creation order in the Net
	host  *Host
	port  int  // local port
	owner bool // the port is the connection's own (a dialled one), not a listener's
	laddr *net.TCPAddr
	raddr *net.TCPAddr
	// in carries the peer's bytes to this end (its buffer is this end's
	// receive buffer); out carries this end's bytes to the peer.
	in, out *pipe

	// Guarded by net.mu.
	hub       *core.Hub // the hub whose greenlets use the connection
	goroutine bool      // made by a plain goroutine (see waitCtx)
	state     connState
	closed    bool  // Close was called (or the host crashed)
	finSent   bool  // a FIN went out: Close or CloseWrite
	rstSent   bool  // a RST went out: a crash, or data reached this closed end
	reset     error // why the connection was reset (nil: it was not)
	rdl, wdl  int64 // deadlines (hub clock; noDeadline: none)
	readers   core.WaitList
	writers   core.WaitList
	dialers   core.WaitList
}

// connState is a connection's handshake state.
type connState uint8

const (
	connDialing     connState = iota // SYN sent (or, on the server's side, not arrived)
	connEstablished                  // usable
	connFailed                       // refused or reset before it was established
)

// segKind says what a stream segment carries.
type segKind uint8

const (
	segData   segKind = iota
	segSyn            // a connection request
	segSynAck         // its acceptance
	segFin            // end of the sender's stream
	segRst            // reset
)

// segment is one packet of a stream, in flight.
type segment struct {
	at   int64 // arrival (hub clock)
	kind segKind
	data []byte
}

// pipe is one direction of a connection: the segments in flight from src to
// dst, in arrival order, and dst's receive buffer. Everything in it is
// guarded by Net.mu.
type pipe struct {
	net      *Net
	link     *link
	src, dst *Conn
	q        []segment // in flight; q[qh:] are pending
	qh       int
	last     int64  // arrival time of the last segment sent: the next never arrives earlier
	buf      []byte // arrived, unread by dst; buf[off:] are pending
	off      int
	// outstanding counts the bytes in flight and unread: the sender's
	// window is full when it reaches the link's Window.
	outstanding int
	fin         bool   // dst received the FIN
	stalled     bool   // due segments wait for the link to clear
	stallGen    uint64 // counts stalls, for the StreamTimeout timers
	// armed says a delivery timer is pending: one at a time per pipe, for
	// the first segment in flight (the others arrive no earlier), re-armed
	// by flush for the next one.
	armed   bool
	flushFn func() // the delivery timer's function
}

func newPipe(n *Net, l *link, src, dst *Conn) *pipe {
	p := &pipe{net: n, link: l, src: src, dst: dst}
	p.flushFn = func() {
		n.mu.Lock()
		p.armed = false
		p.flush(p.src.hub)
		n.mu.Unlock()
	}
	return p
}

// sendLocked puts a segment in flight: it arrives after the link's delay,
// and never before the segments sent before it. A lost segment is
// retransmitted after an RTO of 3×Latency. n.mu is held.
func (p *pipe) sendLocked(kind segKind, data []byte) {
	n := p.net
	hub := p.src.hub
	now := hub.Nanotime()
	o := &p.link.opts
	d := n.delay(hub, o)
	for i := 0; i < 16 && n.chance(hub, o.Loss); i++ {
		d += 3 * max(o.Latency, time.Millisecond)
	}
	at := now + int64(d)
	if at < p.last {
		at = p.last
	}
	p.last = at
	p.q = append(p.q, segment{at: at, kind: kind, data: data})
	if !p.armed {
		p.armed = true
		hub.AfterFunc(time.Duration(at-now), p.flushFn)
	}
}

// flush delivers the segments that are due, in order, unless the link
// holds them, and arms the delivery timer for the next one. A stream's
// order never depends on the order of timers due at the same instant
// (seeded in a simulation): its segments are delivered from one queue.
// from is the hub whose timer calls it, or nil. n.mu is held.
func (p *pipe) flush(from *core.Hub) {
	if p.stalled {
		return
	}
	now := p.src.hub.Nanotime()
	for p.qh < len(p.q) && p.q[p.qh].at <= now {
		if p.link.blocked() {
			p.stallLocked()
			return
		}
		s := p.q[p.qh]
		p.q[p.qh] = segment{}
		p.qh++
		if p.qh == len(p.q) {
			p.q, p.qh = p.q[:0], 0
		}
		p.deliverLocked(s, from)
	}
	if p.qh < len(p.q) && !p.armed {
		p.armed = true
		p.src.hub.AfterFunc(time.Duration(p.q[p.qh].at-now), p.flushFn)
	}
}

// stallLocked records that due segments wait for the link; a partition
// that holds them past StreamTimeout resets the connection. n.mu is held.
func (p *pipe) stallLocked() {
	p.stalled = true
	p.stallGen++
	l := p.link
	l.stalled = append(l.stalled, p)
	if l.partitioned {
		p.armStreamTimeoutLocked()
	} // else a Hold waits for Release, however long
}

// armStreamTimeoutLocked arms the reset of a stalled pipe that a partition
// holds for StreamTimeout. n.mu is held.
func (p *pipe) armStreamTimeoutLocked() {
	p.stallGen++ // a timer of an earlier partition must not fire early
	gen := p.stallGen
	n := p.net
	p.src.hub.AfterFunc(p.link.opts.StreamTimeout, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if p.stalled && p.stallGen == gen && p.link.partitioned {
			p.dropInFlightLocked()
			p.src.resetLocked(syscall.ECONNRESET, nil)
			p.dst.resetLocked(syscall.ECONNRESET, nil)
		}
	})
}

// dropInFlightLocked discards the segments in flight. n.mu is held.
func (p *pipe) dropInFlightLocked() {
	for _, s := range p.q[p.qh:] {
		p.outstanding -= len(s.data)
	}
	clear(p.q)
	p.q, p.qh = p.q[:0], 0
}

// deliverLocked hands segment s to dst. n.mu is held.
func (p *pipe) deliverLocked(s segment, from *core.Hub) {
	c := p.dst
	recordDelivery(from, uint64(s.kind), uint64(len(s.data)))
	switch s.kind {
	case segData:
		if c.closed || c.reset != nil {
			// Nobody will read it: the bytes leave the window.
			p.outstanding -= len(s.data)
			wakeAll(&p.src.writers, from)
			if c.closed && c.reset == nil && !c.rstSent {
				// As TCP: data reaching a closed socket is answered
				// with a reset, so that a writer to a peer that has
				// gone learns it (ECONNRESET) instead of writing
				// into the void for ever.
				c.rstSent = true
				c.out.sendLocked(segRst, nil)
			}
			return
		}
		if p.off == len(p.buf) {
			p.buf, p.off = p.buf[:0], 0
		}
		p.buf = append(p.buf, s.data...)
		wakeAll(&c.readers, from)
	case segFin:
		p.fin = true
		wakeAll(&c.readers, from)
	case segRst:
		if c.state == connDialing {
			c.resetLocked(syscall.ECONNREFUSED, from)
		} else {
			c.resetLocked(syscall.ECONNRESET, from)
		}
	case segSyn:
		c.acceptSynLocked(from)
	case segSynAck:
		if c.closed || c.state != connDialing {
			return
		}
		c.state = connEstablished
		wakeAll(&c.dialers, from)
	}
}

// acceptSynLocked handles a connection request arriving at c, the server's
// end: the listener on c's port queues it for Accept and the answer goes
// back; with no listener (or the host down) the answer is a reset. n.mu is
// held.
func (c *Conn) acceptSynLocked(from *core.Hub) {
	h := c.host
	l := h.listeners[c.port]
	if h.down || l == nil || l.closed {
		c.state = connFailed
		c.closed = true
		c.out.sendLocked(segRst, nil)
		return
	}
	c.hub, c.goroutine = l.hub, l.goroutine
	c.state = connEstablished
	h.conns[c] = struct{}{}
	l.queue = append(l.queue, c)
	wakeAll(&l.acceptors, from)
	c.out.sendLocked(segSynAck, nil)
}

// resetLocked resets c with err (ECONNRESET; ECONNREFUSED or ETIMEDOUT for a
// connection not yet established): what had arrived can still be read (as
// Linux returns queued data before the error), then every call fails with
// err. n.mu is held.
func (c *Conn) resetLocked(err error, from *core.Hub) {
	if c.reset != nil {
		return
	}
	c.reset = err
	if c.state == connDialing {
		c.state = connFailed
	}
	wakeAll(&c.readers, from)
	wakeAll(&c.writers, from)
	wakeAll(&c.dialers, from)
	c.detachLocked()
}

// abortLocked ends c at once, as a crash of its host does: c is closed and
// its peer is reset. n.mu is held.
func (c *Conn) abortLocked(from *core.Hub) {
	if !c.closed && c.reset == nil && c.state != connFailed {
		c.rstSent = true
		c.out.sendLocked(segRst, nil)
	}
	c.closeLocked(from)
}

// closeLocked marks c closed, drops what it had not read and wakes its
// callers. n.mu is held.
func (c *Conn) closeLocked(from *core.Hub) {
	c.closed = true
	p := c.in
	p.outstanding -= len(p.buf) - p.off
	p.buf, p.off = nil, 0
	wakeAll(&p.src.writers, from)
	wakeAll(&c.readers, from)
	wakeAll(&c.writers, from)
	wakeAll(&c.dialers, from)
	c.detachLocked()
}

// detachLocked removes c from its host and frees its own port. n.mu is
// held.
func (c *Conn) detachLocked() {
	if _, ok := c.host.conns[c]; ok {
		delete(c.host.conns, c)
		if c.owner {
			c.host.unbindLocked(c.port)
		}
	}
}

// dialLocked makes a stream connection from h to port on dst, parking the
// caller (with ctx) for the handshake. n.mu is held on entry and released
// on return.
func (h *Host) dialLocked(ctx context.Context, hub *core.Hub, dst *Host, port int) (*Conn, error) {
	n := h.net
	lport, err := h.bindLocked(0)
	if err != nil {
		n.mu.Unlock()
		return nil, err
	}
	l := n.link(h, dst)
	c := &Conn{net: n, host: h, port: lport, owner: true, laddr: h.tcpAddr(lport), raddr: dst.tcpAddr(port),
		hub: hub, goroutine: core.Current(ctx) == nil, rdl: noDeadline, wdl: noDeadline}
	n.connSeq += 2
	c.id = n.connSeq - 1
	s := &Conn{net: n, id: n.connSeq, host: dst, port: port, laddr: dst.tcpAddr(port), raddr: c.laddr,
		hub: hub, rdl: noDeadline, wdl: noDeadline}
	c.out = newPipe(n, l, c, s)
	s.in = c.out
	s.out = newPipe(n, l, s, c)
	c.in = s.out
	h.conns[c] = struct{}{}
	c.out.sendLocked(segSyn, nil)
	for c.state == connDialing {
		if err := n.park(hub, ctx, &c.dialers, noDeadline, waitSimDial, unsafe.Pointer(c)); err != nil {
			// Given up: the server's end, if it gets the request,
			// is reset right after.
			if c.state != connFailed {
				c.out.sendLocked(segRst, nil)
			}
			c.closeLocked(nil)
			n.mu.Unlock()
			return nil, err
		}
	}
	if c.state == connFailed {
		err := c.reset
		if err == syscall.ECONNRESET {
			err = syscall.ETIMEDOUT // held by a partition past StreamTimeout
		}
		if err == nil {
			err = syscall.ECONNREFUSED
		}
		c.closeLocked(nil)
		n.mu.Unlock()
		return nil, err
	}
	n.mu.Unlock()
	return c, nil
}

// Read reads what has arrived, up to len(b) bytes, parking the calling
// greenlet while nothing has. It returns io.EOF once the peer closed and
// everything before was read, an error wrapping net.ErrClosed after Close,
// syscall.ECONNRESET after a reset, os.ErrDeadlineExceeded at the read
// deadline, and the greenlet's kill cause when it is killed (nothing is
// consumed then).
func (c *Conn) Read(b []byte) (int, error) {
	n := c.net
	n.mu.Lock()
	for {
		if c.closed {
			n.mu.Unlock()
			return 0, c.opError("read", closedError(c.hub, c.goroutine))
		}
		p := c.in
		if p.off < len(p.buf) {
			if len(b) == 0 {
				n.mu.Unlock()
				return 0, nil
			}
			k := copy(b, p.buf[p.off:])
			p.off += k
			p.outstanding -= k
			wakeAll(&p.src.writers, nil)
			n.mu.Unlock()
			return k, nil
		}
		if c.reset != nil {
			err := c.reset
			n.mu.Unlock()
			return 0, c.opError("read", err)
		}
		if p.fin {
			n.mu.Unlock()
			return 0, io.EOF
		}
		if len(b) == 0 {
			n.mu.Unlock()
			return 0, nil
		}
		if c.hub.Nanotime() >= c.rdl {
			n.mu.Unlock()
			return 0, c.opError("read", os.ErrDeadlineExceeded)
		}
		if err := n.park(c.hub, waitCtx(c.hub, c.goroutine), &c.readers, c.rdl, waitSimRead, unsafe.Pointer(c)); err != nil {
			n.mu.Unlock()
			return 0, c.opError("read", err)
		}
	}
}

// Write writes all of b, in segments of at most the link's MSS, parking
// the calling greenlet while the peer's receive window is full. On error
// (Close, a reset, the write deadline, a kill) it returns how many bytes
// went out; those are delivered.
func (c *Conn) Write(b []byte) (int, error) {
	n := c.net
	n.mu.Lock()
	written := 0
	for {
		var err error
		switch {
		case c.closed:
			err = closedError(c.hub, c.goroutine)
		case c.reset != nil:
			err = c.reset
		case c.finSent:
			err = syscall.EPIPE
		}
		if err != nil {
			n.mu.Unlock()
			return written, c.opError("write", err)
		}
		if written == len(b) {
			n.mu.Unlock()
			return written, nil
		}
		if c.hub.Nanotime() >= c.wdl {
			n.mu.Unlock()
			return written, c.opError("write", os.ErrDeadlineExceeded)
		}
		p := c.out
		o := &p.link.opts
		if room := o.Window - p.outstanding; room > 0 {
			chunk := min(room, len(b)-written)
			for chunk > 0 {
				k := min(chunk, o.MSS)
				seg := make([]byte, k)
				copy(seg, b[written:])
				p.outstanding += k
				p.sendLocked(segData, seg)
				written += k
				chunk -= k
			}
			continue
		}
		if err := n.park(c.hub, waitCtx(c.hub, c.goroutine), &c.writers, c.wdl, waitSimWrite, unsafe.Pointer(c)); err != nil {
			n.mu.Unlock()
			return written, c.opError("write", err)
		}
	}
}

// Close closes the connection: the peer reads io.EOF after what was
// written, this end's parked and later calls fail with net.ErrClosed, and
// bytes that arrive later are discarded and answered with a reset (as TCP's):
// the peer's later calls fail with syscall.ECONNRESET. Any goroutine.
func (c *Conn) Close() error {
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if c.closed {
		return c.opError("close", net.ErrClosed)
	}
	if !c.finSent && c.reset == nil {
		c.finSent = true
		c.out.sendLocked(segFin, nil)
	}
	c.closeLocked(nil)
	return nil
}

// CloseWrite shuts down the writing side: the peer reads io.EOF after what
// was written; this end can still read. Any goroutine.
func (c *Conn) CloseWrite() error {
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case c.closed:
		return c.opError("close", net.ErrClosed)
	case c.reset != nil:
		return c.opError("close", c.reset)
	}
	if !c.finSent {
		c.finSent = true
		c.out.sendLocked(segFin, nil)
		wakeAll(&c.writers, nil)
	}
	return nil
}

// LocalAddr returns the local address (a *net.TCPAddr).
func (c *Conn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr returns the peer's address (a *net.TCPAddr).
func (c *Conn) RemoteAddr() net.Addr { return c.raddr }

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets the read deadline (zero: none), read against the
// hub clock (on a simulated hub, virtual time: compute it from
// gevent.Now-style hub time, not time.Now). It applies to a parked Read
// too. Any goroutine.
func (c *Conn) SetReadDeadline(t time.Time) error {
	return c.net.setDeadline(c.hub, &c.rdl, &c.readers, t)
}

// SetWriteDeadline sets the write deadline (zero: none), as
// SetReadDeadline. Any goroutine.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	return c.net.setDeadline(c.hub, &c.wdl, &c.writers, t)
}

// Simulated reports true: package socket's WrapConn returns the
// connection unchanged (its calls already park greenlets), and admits it
// in a simulation that refuses real I/O.
func (c *Conn) Simulated() bool { return true }

func (c *Conn) opError(op string, err error) error {
	if err == io.EOF {
		return err
	}
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError(op, errno)
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.laddr, Addr: c.raddr, Err: asTimeout(err)}
}
