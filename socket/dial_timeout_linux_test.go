package socket_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/socket"
)

// unanswered returns a loopback address whose connects hang: a listener
// with a backlog of 0 that never accepts, its queue already full, so the
// kernel drops further SYNs. The test is skipped if the kernel answers.
func unanswered(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	for range 8 {
		c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err != nil {
			return addr // the queue is full: connects hang
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the kernel keeps completing connections to a full listener")
	return ""
}

// A timeout that ends a Dial is reported as that timeout (gevent's `with
// Timeout(s): create_connection(...)` raises the Timeout itself): Dial
// returns ctx's cause, so that WithTimeoutFallback recognises its own
// expiry and errors.Is(err, context.Cause(ctx)) holds. The connect's own
// deadline, taken from ctx, used to win the race and report a bare
// context.DeadlineExceeded.
func TestDialTimeoutIsTheTimeout(t *testing.T) {
	failAfter(t, 30*time.Second)
	addr := unanswered(t)
	_, port, _ := net.SplitHostPort(addr)
	for _, addr := range []string{addr, net.JoinHostPort("localhost", port)} {
		t.Run(addr, func(t *testing.T) { dialTimeouts(t, addr) })
	}
}

// dialTimeouts checks the three timeouts of TestDialTimeoutIsTheTimeout
// on a dial of addr (an IP literal: connect on the hub; a name: dialled
// off the hub).
func dialTimeouts(t *testing.T, addr string) {
	geventtest.Run(t, func(ctx context.Context) error {
		fallback := new(net.TCPConn)
		c, err := gevent.WithTimeoutFallback(ctx, 50*time.Millisecond, func(ctx context.Context) (net.Conn, error) {
			return socket.Dial(ctx, "tcp", addr)
		}, net.Conn(fallback))
		if err != nil || c != net.Conn(fallback) {
			t.Errorf("WithTimeoutFallback(Dial) = %v, %v; want the fallback", c, err)
		}
		// The expiry was delivered once, to the dial: a later wait is
		// not ended by it.
		if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
			t.Errorf("Sleep after the timed-out dial: %v", err)
		}

		tctx, cancel := gevent.WithTimeout(ctx, 50*time.Millisecond)
		_, err = socket.Dial(tctx, "tcp", addr)
		cause := context.Cause(tctx)
		if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
			t.Errorf("Sleep after the timed-out dial, before cancel: %v", err)
		}
		cancel()
		var tm *gevent.Timeout
		if !errors.As(cause, &tm) {
			t.Fatalf("cause = %v, want a *gevent.Timeout", cause)
		}
		if !errors.Is(err, tm) || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Dial under gevent.WithTimeout: %v; want its Timeout and os.ErrDeadlineExceeded", err)
		}

		// Already expired, its timer not yet fired: the dial fails with
		// the Timeout, and only the dial.
		zctx, zcancel := gevent.WithTimeout(ctx, 0)
		_, err = socket.Dial(zctx, "tcp", addr)
		if cause := context.Cause(zctx); cause == nil || !errors.Is(err, cause) {
			t.Errorf("Dial under gevent.WithTimeout(ctx, 0): %v; want its cause %v", err, cause)
		}
		if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
			t.Errorf("Sleep after the dial with an expired timeout, before cancel: %v", err)
		}
		zcancel()

		sctx, scancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err = socket.Dial(sctx, "tcp", addr)
		scancel()
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Dial under context.WithTimeout: %v; want context.DeadlineExceeded and os.ErrDeadlineExceeded", err)
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("Dial under context.WithTimeout: %v is not a net.Error timeout", err)
		}
		return nil
	})
}
