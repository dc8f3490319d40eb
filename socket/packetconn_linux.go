//go:build linux

package socket

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"

	"github.com/gevent-go/gevent/internal/core"
	"github.com/gevent-go/gevent/internal/poll"
)

// sysPacket adds recvfrom and sendto to a PacketConn's fast path.
type sysPacket struct {
	family     int // the socket's address family (AF_INET, AF_INET6, AF_UNIX)
	recvFromFn func(uintptr) bool
	sendToFn   func(uintptr) bool
	s          *sysConn
}

func (sp *sysPacket) init(c *Conn) {
	s := &c.sys
	if s.rc == nil {
		return
	}
	sp.s = s
	sp.family = syscall.AF_INET6
	s.rc.Control(func(fd uintptr) {
		if sa, err := syscall.Getsockname(int(fd)); err == nil {
			switch sa.(type) {
			case *syscall.SockaddrInet4:
				sp.family = syscall.AF_INET
			case *syscall.SockaddrUnix:
				sp.family = syscall.AF_UNIX
			}
		}
	})
	sp.recvFromFn = sp.doRecvFrom
	sp.sendToFn = sp.doSendTo
}

func (sp *sysPacket) doRecvFrom(fd uintptr) bool {
	s := sp.s
	n, sa, err := syscall.Recvfrom(int(fd), s.buf, 0)
	s.n, s.sa, s.errno = n, sa, 0
	if err != nil {
		s.errno, _ = err.(syscall.Errno)
	}
	return true
}

func (sp *sysPacket) doSendTo(fd uintptr) bool {
	s := sp.s
	err := syscall.Sendto(int(fd), s.buf, 0, s.sa)
	s.errno = 0
	if err != nil {
		s.errno, _ = err.(syscall.Errno)
	} else {
		s.n = len(s.buf)
	}
	return true
}

func (p *PacketConn) readFrom(g *core.G, b []byte) (int, net.Addr, error) {
	s := &p.sys
	if s.rc == nil {
		return p.readFromOffload(g, b)
	}
	for {
		s.buf, s.n, s.errno, s.sa = b, 0, 0, nil
		err := s.rc.Read(p.sa.recvFromFn)
		n, errno, sa := s.n, s.errno, s.sa
		s.buf, s.sa = nil, nil
		if err != nil {
			return 0, nil, p.opError("read", err)
		}
		switch errno {
		case 0:
			return n, p.netAddr(sa), nil
		case syscall.EAGAIN:
			mustPark(g, "ReadFrom")
			if err := s.park(p.h, g, poll.ModeRead, p.rdl.Load()); err != nil {
				return 0, nil, p.opError("read", err)
			}
		case syscall.EINTR:
		default:
			return 0, nil, p.opError("read", os.NewSyscallError("recvfrom", errno))
		}
	}
}

func (p *PacketConn) writeTo(g *core.G, b []byte, addr net.Addr) (int, error) {
	s := &p.sys
	if s.rc == nil {
		return p.writeToOffload(g, b, addr)
	}
	sa, err := p.sockaddr(addr)
	if err != nil {
		return 0, &net.OpError{Op: "write", Net: p.net, Source: p.laddr, Addr: addr, Err: err}
	}
	for {
		s.buf, s.n, s.errno, s.sa = b, 0, 0, sa
		err := s.rc.Write(p.sa.sendToFn)
		n, errno := s.n, s.errno
		s.buf, s.sa = nil, nil
		if err != nil {
			return 0, p.opError("write", err)
		}
		switch errno {
		case 0:
			return n, nil
		case syscall.EAGAIN:
			mustPark(g, "WriteTo")
			if err := s.park(p.h, g, poll.ModeWrite, p.wdl.Load()); err != nil {
				return 0, p.opError("write", err)
			}
		case syscall.EINTR:
		default:
			return 0, &net.OpError{Op: "write", Net: p.net, Source: p.laddr, Addr: addr, Err: os.NewSyscallError("sendto", errno)}
		}
	}
}

// netAddr converts a sender's address to the net.Addr type the standard
// library returns for this connection.
func (p *PacketConn) netAddr(sa syscall.Sockaddr) net.Addr {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.UDPAddr{IP: net.IP(append([]byte(nil), sa.Addr[:]...)), Port: sa.Port}
	case *syscall.SockaddrInet6:
		a := &net.UDPAddr{IP: net.IP(append([]byte(nil), sa.Addr[:]...)), Port: sa.Port}
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				a.Zone = ifi.Name
			} else {
				a.Zone = strconv.Itoa(int(sa.ZoneId))
			}
		}
		return a
	case *syscall.SockaddrUnix:
		if sa.Name == "" {
			return nil
		}
		return &net.UnixAddr{Name: sa.Name, Net: p.net}
	}
	return nil
}

// sockaddr converts a destination to the socket's family.
func (p *PacketConn) sockaddr(addr net.Addr) (syscall.Sockaddr, error) {
	switch a := addr.(type) {
	case *net.UDPAddr:
		if a == nil {
			return nil, errMissingAddress
		}
		return ipSockaddr(p.sa.family, a.AddrPort())
	case *net.UnixAddr:
		if a == nil {
			return nil, errMissingAddress
		}
		if p.sa.family != syscall.AF_UNIX {
			return nil, syscall.EAFNOSUPPORT
		}
		return &syscall.SockaddrUnix{Name: a.Name}, nil
	case nil:
		return nil, errMissingAddress
	}
	return nil, syscall.EINVAL
}

func ipSockaddr(family int, ap netip.AddrPort) (syscall.Sockaddr, error) {
	ip := ap.Addr()
	switch family {
	case syscall.AF_INET:
		ip = ip.Unmap()
		if !ip.Is4() {
			return nil, syscall.EAFNOSUPPORT
		}
		return &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ip.As4()}, nil
	case syscall.AF_INET6:
		sa := &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ip.As16()}
		if z := ip.Zone(); z != "" {
			if ifi, err := net.InterfaceByName(z); err == nil {
				sa.ZoneId = uint32(ifi.Index)
			} else if n, err := strconv.Atoi(z); err == nil {
				sa.ZoneId = uint32(n)
			}
		}
		return sa, nil
	}
	return nil, syscall.EAFNOSUPPORT
}
