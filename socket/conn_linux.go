//go:build linux

package socket

import (
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
	"github.com/gevent-go/gevent/internal/poll"
)

// maxRW caps one read or write syscall, as the standard library does.
const maxRW = 1 << 30

// sysConn is the epoll fast path of a Conn: the syscall runs inside
// RawConn.Read/Write (which only pins the descriptor: the callback reports
// done at once, so the runtime never parks the goroutine), and on EAGAIN the
// greenlet parks on the hub's poller.
type sysConn struct {
	rc     syscall.RawConn // nil: no descriptor, use offload
	d      poll.Desc
	stream bool // a zero-byte read is end of stream
	tcp    bool // a short read drains the receive queue (poll.Desc.BeginRead)

	// Hub goroutine only. The scratch fields carry one syscall's arguments
	// and results through the pre-bound callbacks (no closure per call);
	// greenlets of one hub never run a callback concurrently.
	p          *poll.Poller
	registered bool
	buf        []byte
	n          int
	errno      syscall.Errno
	sa         syscall.Sockaddr
	readFn     func(uintptr) bool
	writeFn    func(uintptr) bool
}

func (s *sysConn) init(c *Conn, nc net.Conn) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	s.rc = rc
	s.stream = isStreamNet(c.net)
	_, s.tcp = nc.(*net.TCPConn)
	s.readFn = s.doRead
	s.writeFn = s.doWrite
}

func (s *sysConn) doRead(fd uintptr) bool {
	r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(s.buf))), uintptr(len(s.buf)))
	s.n, s.errno = int(r), e
	return true
}

func (s *sysConn) doWrite(fd uintptr) bool {
	r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(s.buf))), uintptr(len(s.buf)))
	s.n, s.errno = int(r), e
	return true
}

// park waits for mode after an EAGAIN. The first time, it registers the
// descriptor with the hub's poller instead and returns at once: the caller
// retries, and from then on the poller reports every edge.
func (s *sysConn) park(h *core.Hub, g *core.G, mode poll.Mode, deadline int64) error {
	if g == nil {
		op := "Read"
		if mode == poll.ModeWrite {
			op = "Write"
		}
		mustPark(g, op)
	}
	if !s.registered {
		return s.register(h)
	}
	return s.d.Wait(g, mode, timeOf(deadline))
}

// register is outlined: it runs once per descriptor.
func (s *sysConn) register(h *core.Hub) error {
	if s.p == nil {
		s.p = poll.For(h)
		if s.p == nil {
			return errNoPoller
		}
	}
	var rerr error
	err := s.rc.Control(func(fd uintptr) { rerr = s.d.Register(s.p, int(fd)) })
	if err == nil {
		err = rerr
	}
	if err != nil {
		return err
	}
	s.registered = true
	return nil
}

func (s *sysConn) close() {
	if s.rc == nil {
		return
	}
	if s.rc.Control(func(fd uintptr) { s.d.Close(int(fd)) }) != nil {
		s.d.Close(-1)
	}
}

func (s *sysConn) deadlineChanged(write bool) {
	if s.rc == nil {
		return
	}
	if write {
		s.d.Wake(poll.ModeWrite)
	} else {
		s.d.Wake(poll.ModeRead)
	}
}

func (c *Conn) read(g *core.G, b []byte) (int, error) {
	s := &c.sys
	if s.rc == nil {
		return c.readOffload(g, b)
	}
	if len(b) == 0 && s.stream {
		return 0, nil
	}
	if len(b) > maxRW {
		b = b[:maxRW]
	}
	for {
		// A TCP read that drained the queue waits for the next
		// readable event before reading again (poll.Desc.WaitData).
		watch := s.tcp && s.registered && g != nil
		armed := false // drained marked: EAGAIN goes to WaitData
		if watch {
			if s.d.Drained() {
				if err := s.d.WaitData(g, timeOf(c.rdl.Load())); err != nil {
					return 0, c.opError("read", err)
				}
			}
			armed = s.d.BeginRead()
		}
		s.buf, s.n, s.errno = b, 0, 0
		err := s.rc.Read(s.readFn)
		n, errno := s.n, s.errno
		s.buf = nil
		if watch && (errno != 0 && errno != syscall.EAGAIN || err != nil || n == 0 || n == len(b)) {
			s.d.EndRead() // data may be left, or no edge will come again
		}
		if err != nil {
			return 0, c.opError("read", err)
		}
		switch errno {
		case 0:
			if n == 0 && s.stream {
				return 0, io.EOF
			}
			return n, nil
		case syscall.EAGAIN:
			if armed {
				// WaitData parks, or returns at once if an event
				// came since the read (notify cleared drained).
				continue
			}
			if err := s.park(c.h, g, poll.ModeRead, c.rdl.Load()); err != nil {
				return 0, c.opError("read", err)
			}
		case syscall.EINTR:
		default:
			return 0, c.opError("read", os.NewSyscallError("read", errno))
		}
	}
}

func (c *Conn) write(g *core.G, b []byte) (int, error) {
	s := &c.sys
	if s.rc == nil {
		return c.writeOffload(g, b)
	}
	nn := 0
	for nn < len(b) || (len(b) == 0 && !s.stream && nn == 0) {
		chunk := b[nn:]
		if len(chunk) > maxRW {
			chunk = chunk[:maxRW]
		}
		s.buf, s.n, s.errno = chunk, 0, 0
		err := s.rc.Write(s.writeFn)
		n, errno := s.n, s.errno
		s.buf = nil
		if err != nil {
			return nn, c.opError("write", err)
		}
		switch errno {
		case 0:
			nn += n
			if len(b) == 0 {
				return 0, nil
			}
		case syscall.EAGAIN:
			if err := s.park(c.h, g, poll.ModeWrite, c.wdl.Load()); err != nil {
				return nn, c.opError("write", err)
			}
		case syscall.EINTR:
		default:
			return nn, c.opError("write", os.NewSyscallError("write", errno))
		}
	}
	return nn, nil
}

// isStreamNet reports whether network's sockets are byte streams.
func isStreamNet(network string) bool {
	return strings.HasPrefix(network, "tcp") || network == "unix" || network == "unixpacket"
}
