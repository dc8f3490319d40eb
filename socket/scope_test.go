package socket_test

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/socket"
)

// silentPeer returns a connected pair on loopback: c, the cooperative side,
// and the raw peer, which writes only when the test tells it to.
func silentPeer(ctx context.Context, t *testing.T) (c net.Conn, peer net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		p, _ := ln.Accept()
		accepted <- p
	}()
	c, err = socket.Dial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer = <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	// A Read that the scope fails to interrupt would wait for ever: the
	// watchdog closes both ends, so such a regression fails the test.
	watchdog := time.AfterFunc(10*time.Second, func() {
		t.Error("watchdog: a socket call was not interrupted; closing the connection")
		c.Close()
		peer.Close()
	})
	t.Cleanup(func() { watchdog.Stop() })
	return c, peer
}

// checkScopeTimeout asserts gevent's `with Timeout(t): sock.recv()`
// contract: the error is t's, a deadline, and a net.Error timeout.
func checkScopeTimeout(t *testing.T, err error, tm *gevent.Timeout) {
	t.Helper()
	if !errors.Is(err, tm) {
		t.Errorf("err = %v, want errors.Is(err, the Timeout)", err)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("err = %v, want errors.Is(err, os.ErrDeadlineExceeded)", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("err = %v, want a net.Error with Timeout() true", err)
	}
}

// A Timeout started by the greenlet interrupts a socket Read, which takes no
// context, at the Timeout's expiry and not at the peer's (much later) reply.
// After Cancel (leaving the scope) a Read waits for the peer again.
func TestTimeoutScopeReachesRead(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		c, peer := silentPeer(ctx, t)
		defer c.Close()
		defer peer.Close()
		tm := gevent.NewTimeout(30*time.Millisecond, nil)
		tm.Start(ctx)
		start := time.Now()
		_, err := c.Read(make([]byte, 8))
		tm.Cancel()
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Read returned after %v", d)
		}
		checkScopeTimeout(t, err, tm)
		// Out of the scope: the connection is intact and Read waits.
		go peer.Write([]byte("hi"))
		b := make([]byte, 2)
		if n, err := c.Read(b); err != nil || string(b[:n]) != "hi" {
			t.Errorf("Read after the scope = %q, %v; want hi, nil", b[:n], err)
		}
		return nil
	})
}

// WithTimeoutFunc is gevent's with_timeout around a socket call; its
// fallback applies to the socket's timeout too.
func TestWithTimeoutFuncReachesRead(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		c, peer := silentPeer(ctx, t)
		defer c.Close()
		defer peer.Close()
		n, err := gevent.WithTimeoutFallback(ctx, 20*time.Millisecond, func(ctx context.Context) (int, error) {
			return c.Read(make([]byte, 8))
		}, -1)
		if n != -1 || err != nil {
			t.Errorf("WithTimeoutFallback = %d, %v; want the fallback -1, nil", n, err)
		}
		_, err = gevent.WithTimeoutFunc(ctx, 20*time.Millisecond, func(ctx context.Context) (int, error) {
			return c.Read(make([]byte, 8))
		})
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want a deadline", err)
		}
		return nil
	})
}

// An outer timeout passes through an inner scope unchanged; the inner one,
// far later, is not the cause.
func TestOuterTimeoutThroughInnerScope(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		c, peer := silentPeer(ctx, t)
		defer c.Close()
		defer peer.Close()
		outer := gevent.NewTimeout(20*time.Millisecond, nil)
		octx := outer.Start(ctx)
		defer outer.Cancel()
		inner := gevent.NewTimeout(time.Hour, nil)
		inner.Start(octx)
		defer inner.Cancel()
		_, err := c.Read(make([]byte, 8))
		checkScopeTimeout(t, err, outer)
		if errors.Is(err, inner) {
			t.Errorf("err = %v is the inner timeout", err)
		}
		return nil
	})
}

// A scope's expiry is delivered once: after the interrupted Read, the
// greenlet can still do I/O in the same scope (cleanup after a caught
// timeout), while waits made with the scope's own context keep failing.
func TestScopeDeliveredOnce(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		c, peer := silentPeer(ctx, t)
		defer c.Close()
		defer peer.Close()
		tm := gevent.NewTimeout(20*time.Millisecond, nil)
		tctx := tm.Start(ctx)
		defer tm.Cancel()
		_, err := c.Read(make([]byte, 8))
		checkScopeTimeout(t, err, tm)
		go peer.Write([]byte("ok"))
		b := make([]byte, 2)
		if n, err := c.Read(b); err != nil || string(b[:n]) != "ok" {
			t.Errorf("second Read = %q, %v; want ok, nil", b[:n], err)
		}
		if err := gevent.Sleep(tctx, time.Millisecond); !errors.Is(err, tm) {
			t.Errorf("Sleep with the expired context = %v, want the Timeout", err)
		}
		return nil
	})
}

// Accept and Write are switch points too.
func TestTimeoutScopeReachesAcceptAndWrite(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		watchdog := time.AfterFunc(10*time.Second, func() {
			t.Error("watchdog: Accept was not interrupted; closing the listener")
			ln.Close()
		})
		defer watchdog.Stop()
		_, err = gevent.WithTimeoutFunc(ctx, 20*time.Millisecond, func(ctx context.Context) (net.Conn, error) {
			return ln.Accept()
		})
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Accept err = %v, want a deadline", err)
		}
		c, peer := silentPeer(ctx, t)
		defer c.Close()
		defer peer.Close()
		tm := gevent.NewTimeout(50*time.Millisecond, nil)
		tm.Start(ctx)
		defer tm.Cancel()
		big := make([]byte, 64<<20) // more than the socket buffers hold
		n, err := c.Write(big)
		checkScopeTimeout(t, err, tm)
		if n <= 0 || n >= len(big) {
			t.Errorf("Write wrote %d of %d bytes", n, len(big))
		}
		return nil
	})
}
