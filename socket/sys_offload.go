//go:build !linux

package socket

import (
	"context"
	"net"

	"github.com/gevent-go/gevent/internal/core"
)

// Without epoll every blocking call runs off the hub (offload): correct, but
// each parked call costs a goroutine.

type sysConn struct{}

func (s *sysConn) init(c *Conn, nc net.Conn)  {}
func (s *sysConn) close()                     {}
func (s *sysConn) deadlineChanged(write bool) {}

func (c *Conn) read(g *core.G, b []byte) (int, error)  { return c.readOffload(g, b) }
func (c *Conn) write(g *core.G, b []byte) (int, error) { return c.writeOffload(g, b) }

type sysListener struct{}

func (s *sysListener) init(ln net.Listener) {}
func (s *sysListener) close()               {}
func (s *sysListener) deadlineChanged()     {}

func (l *Listener) accept(g *core.G) (net.Conn, error) { return l.acceptOffload(g) }

type sysPacket struct{}

func (sp *sysPacket) init(c *Conn) {}

func (p *PacketConn) readFrom(g *core.G, b []byte) (int, net.Addr, error) {
	return p.readFromOffload(g, b)
}

func (p *PacketConn) writeTo(g *core.G, b []byte, addr net.Addr) (int, error) {
	return p.writeToOffload(g, b, addr)
}

func dialFast(ctx context.Context, h *core.Hub, g *core.G, network, address string) (net.Conn, bool, error) {
	return nil, false, nil
}
