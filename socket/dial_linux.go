//go:build linux

package socket

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/gevent-go/gevent/internal/core"
	"github.com/gevent-go/gevent/internal/poll"
)

// dialFast connects a TCP socket to an IP literal without leaving the hub:
// a non-blocking connect, the greenlet parks on the poller until the socket
// is writable, SO_ERROR tells the outcome. ok false means the caller should
// dial off the hub (names to resolve, other networks, odd addresses: the
// standard dialer then reports any error in its usual words).
func dialFast(ctx context.Context, h *core.Hub, g *core.G, network, address string) (c net.Conn, ok bool, err error) {
	var family int
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, false, nil
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, false, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return nil, false, nil
	}
	pn, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, false, nil
	}
	ip = ip.Unmap()
	var sa syscall.Sockaddr
	switch {
	case ip.Is4() && network != "tcp6":
		family = syscall.AF_INET
		sa = &syscall.SockaddrInet4{Port: int(pn), Addr: ip.As4()}
	case ip.Is6() && network != "tcp4":
		family = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: int(pn), Addr: ip.As16()}
	default:
		return nil, false, nil
	}
	p := poll.For(h)
	if p == nil {
		return nil, false, nil
	}
	raddr := net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(pn)))
	c, err = connect(ctx, p, family, sa)
	if err != nil {
		return nil, true, &net.OpError{Op: "dial", Net: network, Addr: raddr, Err: asTimeout(err)}
	}
	return newConn(h, c), true, nil
}

func connect(ctx context.Context, p *poll.Poller, family int, sa syscall.Sockaddr) (net.Conn, error) {
	if err := core.Cause(ctx); err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= 0 {
		return nil, expired(ctx)
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_TCP)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	var d poll.Desc
	registered := false
	fail := func(err error) (net.Conn, error) {
		d.Close(fd)
		syscall.Close(fd)
		return nil, err
	}
	err = syscall.Connect(fd, sa)
	for err == syscall.EINTR {
		err = syscall.Connect(fd, sa)
	}
	switch err {
	case nil, syscall.EISCONN:
	case syscall.EINPROGRESS, syscall.EALREADY:
		for {
			if !registered {
				if err := d.Register(p, fd); err != nil {
					return fail(err)
				}
				registered = true
			}
			// No deadline of its own: ctx's expiry ends the wait with
			// ctx's cause (a gevent.WithTimeout's *Timeout, delivered
			// once). A deadline taken from ctx fired first (timeouts run
			// after the other timers due with them), failing with a bare
			// context.DeadlineExceeded and leaving the expiry to end the
			// greenlet's next wait too.
			if err := d.Wait(ctx, poll.ModeWrite, time.Time{}); err != nil {
				return fail(err)
			}
			soerr, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
			if err != nil {
				return fail(os.NewSyscallError("getsockopt", err))
			}
			switch e := syscall.Errno(soerr); e {
			case syscall.EINPROGRESS, syscall.EALREADY, syscall.EINTR:
				continue // a spurious wake-up
			case 0, syscall.EISCONN:
			default:
				return fail(os.NewSyscallError("connect", e))
			}
			// Writable with no error can still mean "in progress" on some
			// kernels; the peer name settles it.
			if _, err := syscall.Getpeername(fd); err != nil {
				continue
			}
			break
		}
	default:
		return fail(os.NewSyscallError("connect", err))
	}
	d.Close(fd)
	c, err := fdConn(fd) // duplicates fd and closes it
	if err != nil {
		return nil, err
	}
	return c, nil
}

// expiredGrace bounds how long a dial whose ctx is past its deadline waits
// for ctx's cancellation to arrive (a timer due now).
const expiredGrace = 10 * time.Millisecond

// expired is the error of a dial whose ctx is past its deadline but not yet
// cancelled (its timer has not fired, as for gevent.WithTimeout(ctx, 0)):
// the dial parks until the cancellation arrives, so that the expiry of a
// gevent Timeout ends this wait, once, with the Timeout as the error (and
// not the greenlet's next wait), and fails with ctx's cause.
func expired(ctx context.Context) error {
	if g := core.Current(ctx); g != nil {
		if err := g.Hub().Sleep(ctx, g, expiredGrace); err != nil {
			return err
		}
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return context.DeadlineExceeded
}
