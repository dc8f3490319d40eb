//go:build linux

package socket

import (
	"errors"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gevent-go/gevent/internal/core"
	"github.com/gevent-go/gevent/internal/poll"
)

// sysListener is the epoll fast path of a Listener: accept4 inside
// RawConn.Read, park on EAGAIN.
type sysListener struct {
	sysConn
	nfd      int
	acceptFn func(uintptr)
	// held is a connection accept4 returned that could not yet become a
	// net.Conn: net.FileConn duplicates the descriptor, which fails with
	// EMFILE when accept4 took the last one. The next Accept tries it
	// first, so that running out of descriptors loses no connection (as
	// gevent's accept, which leaves it queued). Swapped atomically: Accept
	// runs on the hub, close on any goroutine.
	held atomic.Pointer[os.File]
}

func (s *sysListener) init(ln net.Listener) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	s.rc = rc
	s.acceptFn = s.doAccept
}

// doAccept runs inside RawConn.Control: a listener's RawConn has no Read
// (it answers EINVAL), and Control pins the descriptor just the same.
func (s *sysListener) doAccept(fd uintptr) {
	nfd, _, err := syscall.Accept4(int(fd), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
	s.nfd, s.errno = nfd, 0
	if err != nil {
		s.errno, _ = err.(syscall.Errno)
	}
}

func (s *sysListener) deadlineChanged() { s.sysConn.deadlineChanged(false) }

// close is sysConn's close, then drops a held connection. (Accept puts a
// held connection back before it checks Closed, and close swaps it out
// after the Desc is closed: one of them closes it.)
func (s *sysListener) close() {
	s.sysConn.close()
	if f := s.held.Swap(nil); f != nil {
		f.Close()
	}
}

// fileConn makes f, an accepted descriptor, a net.Conn. When that fails
// for want of a descriptor or memory, f is held for the next Accept
// instead of being closed (see held); otherwise f is closed.
func (s *sysListener) fileConn(f *os.File) (net.Conn, error) {
	c, err := net.FileConn(f)
	if err != nil && (errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOMEM) || errors.Is(err, syscall.ENOBUFS)) {
		s.held.Store(f)
		if s.d.Closed() {
			if f := s.held.Swap(nil); f != nil {
				f.Close()
			}
		}
		return nil, err
	}
	f.Close()
	return c, err
}

func (l *Listener) accept(g *core.G) (net.Conn, error) {
	s := &l.sys
	if s.rc == nil {
		return l.acceptOffload(g)
	}
	for {
		if dl := l.dl.Load(); dl != 0 && time.Now().UnixNano() >= dl {
			return nil, l.opError(os.ErrDeadlineExceeded)
		}
		if s.held.Load() != nil { // (a load: no write on every accept)
			f := s.held.Swap(nil)
			if f == nil {
				continue // Close took it
			}
			c, err := s.fileConn(f)
			if err != nil {
				return nil, l.opError(err)
			}
			return newConn(l.h, c), nil
		}
		s.nfd, s.errno = -1, 0
		err := s.rc.Control(s.acceptFn)
		nfd, errno := s.nfd, s.errno
		if err != nil {
			return nil, l.opError(err)
		}
		switch errno {
		case 0:
			c, err := s.fileConn(os.NewFile(uintptr(nfd), ""))
			if err != nil {
				return nil, l.opError(err)
			}
			return newConn(l.h, c), nil
		case syscall.EAGAIN:
			mustPark(g, "Accept")
			if err := s.park(l.h, g, poll.ModeRead, l.dl.Load()); err != nil {
				return nil, l.opError(err)
			}
		case syscall.EINTR, syscall.ECONNABORTED:
			// The peer gave up before we accepted: take the next one.
		default:
			return nil, l.opError(os.NewSyscallError("accept4", errno))
		}
	}
}

// fdConn turns an accepted (or connected) descriptor into a standard
// net.Conn. net.FileConn duplicates the descriptor, so the original is
// closed afterwards.
func fdConn(fd int) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), "")
	c, err := net.FileConn(f)
	f.Close()
	return c, err
}
