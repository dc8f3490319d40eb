package socket

import (
	"net"

	"github.com/gevent-go/gevent/internal/core"
)

// PacketConn is a cooperative net.PacketConn (UDP, Unix datagram) bound to
// one hub: ReadFrom and WriteTo called by a greenlet of that hub park only
// that greenlet. ListenPacket and WrapPacketConn return it. It is also a
// *Conn: Read, Write, Close, deadlines and the goroutine rule are the
// same.
type PacketConn struct {
	Conn
	sa sysPacket
}

func newPacketConn(h *core.Hub, pc net.PacketConn) *PacketConn {
	p := &PacketConn{}
	p.c = packetAsConn{pc}
	if c, ok := pc.(net.Conn); ok {
		p.c = c
	}
	p.h = h
	p.laddr = pc.LocalAddr()
	p.raddr = p.c.RemoteAddr()
	if p.laddr != nil {
		p.net = p.laddr.Network()
	}
	p.sys.init(&p.Conn, p.c)
	p.sa.init(&p.Conn)
	return p
}

// NetPacketConn returns the wrapped standard connection.
func (p *PacketConn) NetPacketConn() net.PacketConn { return p.c.(net.PacketConn) }

// ReadFrom reads one datagram into b, parking the calling greenlet until one
// arrives, the read deadline passes, Close is called or the greenlet is
// killed. It returns the number of bytes copied and the sender's address.
func (p *PacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	g := p.h.Current()
	if g == nil && !core.InHubCallback() {
		return p.c.(net.PacketConn).ReadFrom(b)
	}
	return p.readFrom(g, b)
}

// WriteTo sends b as one datagram to addr, parking the calling greenlet while
// the socket's buffer is full.
func (p *PacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	g := p.h.Current()
	if g == nil && !core.InHubCallback() {
		return p.c.(net.PacketConn).WriteTo(b, addr)
	}
	return p.writeTo(g, b, addr)
}

// packetAsConn lets a net.PacketConn that is not a net.Conn sit in
// Conn.c: Read and Write are ReadFrom and WriteTo without addresses.
type packetAsConn struct{ net.PacketConn }

func (p packetAsConn) Read(b []byte) (int, error) {
	n, _, err := p.ReadFrom(b)
	return n, err
}

func (p packetAsConn) Write(b []byte) (int, error) {
	return 0, &net.OpError{Op: "write", Net: p.LocalAddr().Network(), Source: p.LocalAddr(), Err: errUnsupported}
}

func (p packetAsConn) RemoteAddr() net.Addr { return nil }

type addrResult struct {
	n    int
	addr net.Addr
}

func (p *PacketConn) readFromOffload(g *core.G, b []byte) (int, net.Addr, error) {
	mustPark(g, "ReadFrom")
	pc := p.c.(net.PacketConn)
	r, err, cause := offload(g, func() (addrResult, error) {
		n, a, err := pc.ReadFrom(b)
		return addrResult{n, a}, err
	}, func() { pc.SetReadDeadline(aLongTimeAgo) })
	if cause != nil {
		pc.SetReadDeadline(timeOf(p.rdl.Load()))
		return r.n, r.addr, p.opError("read", cause)
	}
	return r.n, r.addr, err
}

func (p *PacketConn) writeToOffload(g *core.G, b []byte, addr net.Addr) (int, error) {
	mustPark(g, "WriteTo")
	pc := p.c.(net.PacketConn)
	n, err, cause := offload(g, func() (int, error) { return pc.WriteTo(b, addr) },
		func() { pc.SetWriteDeadline(aLongTimeAgo) })
	if cause != nil {
		pc.SetWriteDeadline(timeOf(p.wdl.Load()))
		return n, p.opError("write", cause)
	}
	return n, err
}
