package sim

import (
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// PacketConn is a simulated datagram socket (UDP) on a port of a Host. It
// implements net.PacketConn, and net.Conn too: Dial("udp") returns one
// connected to a peer, whose Read and Write exchange datagrams with that
// peer only. Each WriteTo is one datagram, which the link may drop,
// duplicate, delay or reorder (NetOptions); a datagram that finds the
// receive buffer full is dropped. ReadFrom parks the calling greenlet of
// the socket's hub. Close and the deadline setters are safe from any
// goroutine.
type PacketConn struct {
	net   *Net
	hub   *core.Hub
	host  *Host
	port  int
	laddr *net.UDPAddr
	raddr *net.UDPAddr // the peer of a connected socket, or nil
	// goroutine says a plain goroutine made it (see waitCtx).
	goroutine bool

	// Guarded by net.mu.
	closed   bool
	q        []*packet // received, unread
	qbytes   int
	readers  core.WaitList
	rdl, wdl int64 // deadlines (hub clock; noDeadline: none)
}

// packet is one datagram in flight or queued.
type packet struct {
	net    *Net
	hub    *core.Hub // the sender's, whose timer delivers it
	link   *link
	from   *net.UDPAddr
	to     *Host
	toPort int
	data   []byte
	seq    uint64 // send order, for Release
}

// newPacketConnLocked binds a datagram socket on h (port 0: ephemeral),
// connected to raddr when not nil. n.mu is held.
func (h *Host) newPacketConnLocked(hub *core.Hub, goroutine bool, port int, raddr *net.UDPAddr) (*PacketConn, error) {
	port, err := h.bindLocked(port)
	if err != nil {
		return nil, err
	}
	p := &PacketConn{net: h.net, hub: hub, host: h, port: port, laddr: h.udpAddr(port), raddr: raddr,
		goroutine: goroutine, rdl: noDeadline, wdl: noDeadline}
	h.packets[port] = p
	return p, nil
}

// ReadFrom reads one datagram into b (the rest of a longer one is
// discarded, as UDP's), parking the calling greenlet until one arrives,
// the read deadline passes, Close is called or the greenlet is killed.
func (p *PacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n := p.net
	n.mu.Lock()
	for {
		if p.closed {
			n.mu.Unlock()
			return 0, nil, p.opError("read", nil, closedError(p.hub, p.goroutine))
		}
		if len(p.q) > 0 {
			pk := p.q[0]
			p.q[0] = nil
			p.q = p.q[1:]
			p.qbytes -= len(pk.data)
			n.mu.Unlock()
			return copy(b, pk.data), pk.from, nil
		}
		if p.hub.Nanotime() >= p.rdl {
			n.mu.Unlock()
			return 0, nil, p.opError("read", nil, os.ErrDeadlineExceeded)
		}
		if err := n.park(p.hub, waitCtx(p.hub, p.goroutine), &p.readers, p.rdl, waitSimRecv, unsafe.Pointer(p)); err != nil {
			n.mu.Unlock()
			return 0, nil, p.opError("read", nil, err)
		}
	}
}

// Read is ReadFrom without the address (for a connected socket).
func (p *PacketConn) Read(b []byte) (int, error) {
	k, _, err := p.ReadFrom(b)
	return k, err
}

// WriteTo sends b as one datagram to addr (a *net.UDPAddr, or any
// net.Addr whose String is "host:port" with a name of the Net). It never
// parks: a datagram the network loses is still reported as written.
func (p *PacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	n := p.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if p.closed {
		return 0, p.opError("write", addr, net.ErrClosed)
	}
	if p.hub.Nanotime() >= p.wdl {
		return 0, p.opError("write", addr, os.ErrDeadlineExceeded)
	}
	if addr == nil {
		return 0, p.opError("write", nil, syscall.EDESTADDRREQ)
	}
	dst, port, err := p.resolveLocked(addr)
	if err != nil {
		return 0, p.opError("write", addr, err)
	}
	l := n.link(p.host, dst)
	if l.partitioned {
		return len(b), nil // lost in the partition
	}
	o := &l.opts
	copies := 1
	if n.chance(p.hub, o.Duplicate) {
		copies = 2
	}
	for range copies {
		if n.chance(p.hub, o.Loss) {
			continue
		}
		d := n.delay(p.hub, o)
		if n.chance(p.hub, o.Reorder) {
			d += time.Duration(n.uintn(p.hub, uint64(2*o.Latency)+1))
		}
		pk := &packet{net: n, hub: p.hub, link: l, from: p.laddr, to: dst, toPort: port,
			data: append([]byte(nil), b...), seq: n.packetSeq}
		n.packetSeq++
		p.hub.AfterFunc(d, pk.deliver)
	}
	return len(b), nil
}

// Write sends b to the peer of a connected socket.
func (p *PacketConn) Write(b []byte) (int, error) {
	if p.raddr == nil {
		return 0, p.opError("write", nil, syscall.EDESTADDRREQ)
	}
	return p.WriteTo(b, p.raddr)
}

// resolveLocked finds the host and port addr names. n.mu is held.
func (p *PacketConn) resolveLocked(addr net.Addr) (*Host, int, error) {
	if ua, ok := addr.(*net.UDPAddr); ok {
		ip, ok := netip.AddrFromSlice(ua.IP)
		if !ok {
			return nil, 0, syscall.EHOSTUNREACH
		}
		h, err := p.host.resolveLocked(ip.Unmap().String())
		return h, ua.Port, err
	}
	host, port, err := splitAddr(addr.String())
	if err != nil {
		return nil, 0, err
	}
	h, err := p.host.resolveLocked(host)
	return h, port, err
}

// deliver is a datagram's arrival (a timer on the sender's hub).
func (pk *packet) deliver() {
	n := pk.net
	n.mu.Lock()
	pk.arriveLocked(pk.hub)
	n.mu.Unlock()
}

// arriveLocked queues the datagram at its socket, unless the link holds or
// drops it, or nothing receives it. n.mu is held.
func (pk *packet) arriveLocked(from *core.Hub) {
	l := pk.link
	if l.held {
		l.heldPackets = append(l.heldPackets, pk)
		return
	}
	recordDelivery(from, 8, uint64(len(pk.data)))
	if l.partitioned || pk.to.down {
		return
	}
	p := pk.to.packets[pk.toPort]
	if p == nil || p.closed {
		return
	}
	if p.raddr != nil && (p.raddr.Port != pk.from.Port || !p.raddr.IP.Equal(pk.from.IP)) {
		return // a connected socket takes its peer's datagrams only
	}
	if p.qbytes+len(pk.data) > l.opts.Window {
		return // receive buffer full
	}
	p.q = append(p.q, pk)
	p.qbytes += len(pk.data)
	wakeAll(&p.readers, from)
}

// Close closes the socket: parked and later calls fail with net.ErrClosed.
// Any goroutine.
func (p *PacketConn) Close() error {
	n := p.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if p.closed {
		return p.opError("close", nil, net.ErrClosed)
	}
	p.closeLocked()
	return nil
}

// closeLocked closes p. n.mu is held.
func (p *PacketConn) closeLocked() {
	p.closed = true
	if p.host.packets[p.port] == p {
		delete(p.host.packets, p.port)
		p.host.unbindLocked(p.port)
	}
	p.q, p.qbytes = nil, 0
	wakeAll(&p.readers, nil)
}

// LocalAddr returns the local address (a *net.UDPAddr).
func (p *PacketConn) LocalAddr() net.Addr { return p.laddr }

// RemoteAddr returns the peer of a connected socket (a *net.UDPAddr), or
// nil.
func (p *PacketConn) RemoteAddr() net.Addr {
	if p.raddr == nil {
		return nil
	}
	return p.raddr
}

// SetDeadline sets both deadlines.
func (p *PacketConn) SetDeadline(t time.Time) error {
	p.SetReadDeadline(t)
	return p.SetWriteDeadline(t)
}

// SetReadDeadline sets the read deadline (zero: none), read against the
// hub clock; it applies to a parked ReadFrom too. Any goroutine.
func (p *PacketConn) SetReadDeadline(t time.Time) error {
	return p.net.setDeadline(p.hub, &p.rdl, &p.readers, t)
}

// SetWriteDeadline sets the write deadline (zero: none). Any goroutine.
func (p *PacketConn) SetWriteDeadline(t time.Time) error {
	return p.net.setDeadline(p.hub, &p.wdl, nil, t)
}

// Simulated reports true: package socket's WrapPacketConn returns the
// socket unchanged, and admits it in a simulation that refuses real I/O.
func (p *PacketConn) Simulated() bool { return true }

func (p *PacketConn) opError(op string, addr net.Addr, err error) error {
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError(op, errno)
	}
	if addr == nil && p.raddr != nil {
		addr = p.raddr
	}
	return &net.OpError{Op: op, Net: "udp", Source: p.laddr, Addr: addr, Err: asTimeout(err)}
}
