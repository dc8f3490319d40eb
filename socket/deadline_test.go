package socket_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/socket"
)

// failAfter makes a test that hangs fail instead: after d it panics, which
// ends the test binary naming the test. It is disarmed when the test ends.
func failAfter(t *testing.T, d time.Duration) {
	t.Helper()
	name := t.Name()
	tm := time.AfterFunc(d, func() { panic(fmt.Sprintf("%s: still running after %v (hung)", name, d)) })
	t.Cleanup(func() { tm.Stop() })
}

// farDeadlines are deadlines past the year 2262, where time.Time.UnixNano
// overflows; a standard net.Conn treats them as "not for centuries".
var farDeadlines = map[string]func() time.Time{
	"Now+MaxInt64": func() time.Time { return time.Now().Add(math.MaxInt64) },
	"Unix(1<<40)":  func() time.Time { return time.Unix(1<<40, 0) },
}

// stillParked yields a few times so that g runs and parks, then reports an
// error if g has already ended (its operation did not wait).
func stillParked[T any](ctx context.Context, g *gevent.Greenlet[T]) error {
	for range 5 {
		if err := gevent.Yield(ctx); err != nil {
			return err
		}
	}
	if g.Dead() {
		_, err := g.Get(ctx)
		return fmt.Errorf("the call did not wait for its far-future deadline: err = %v", err)
	}
	return nil
}

// A deadline past 2262 waits, as the standard library's does, for every
// parked call: Read, Write, Accept and ReadFrom on the epoll path, and Read
// on the off-hub path after a kill restored the deadline.
func TestFarFutureDeadlinesWait(t *testing.T) {
	failAfter(t, time.Minute)
	for name, deadline := range farDeadlines {
		t.Run(name+"/Read", func(t *testing.T) {
			geventtest.Run(t, func(ctx context.Context) error {
				ln := echoServer(ctx, t)
				defer ln.Close()
				c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
				if err != nil {
					return err
				}
				defer c.Close()
				if err := c.SetReadDeadline(deadline()); err != nil {
					return err
				}
				reader := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
					b := make([]byte, 5)
					_, err := io.ReadFull(c, b)
					return string(b), err
				})
				if err := stillParked(ctx, reader); err != nil {
					return err
				}
				if _, err := c.Write([]byte("hello")); err != nil {
					return err
				}
				got, err := reader.Get(ctx)
				if err != nil || got != "hello" {
					t.Errorf("Read = %q, %v; want hello, nil", got, err)
				}
				return nil
			})
		})
		t.Run(name+"/Write", func(t *testing.T) {
			geventtest.Run(t, func(ctx context.Context) error {
				ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
				if err != nil {
					return err
				}
				defer ln.Close()
				c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
				if err != nil {
					return err
				}
				defer c.Close()
				peer, err := ln.Accept()
				if err != nil {
					return err
				}
				defer peer.Close()
				if err := c.SetWriteDeadline(deadline()); err != nil {
					return err
				}
				const size = 16 << 20 // more than the socket buffers hold: Write parks
				writer := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
					return c.Write(make([]byte, size))
				})
				if err := stillParked(ctx, writer); err != nil {
					return err
				}
				if n, err := io.CopyN(io.Discard, peer, size); n != size || err != nil {
					t.Fatalf("peer read %d, %v", n, err)
				}
				if n, err := writer.Get(ctx); n != size || err != nil {
					t.Errorf("Write = %d, %v; want %d, nil", n, err, size)
				}
				return nil
			})
		})
		t.Run(name+"/Accept", func(t *testing.T) {
			geventtest.Run(t, func(ctx context.Context) error {
				ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
				if err != nil {
					return err
				}
				defer ln.Close()
				if err := ln.(*socket.Listener).SetDeadline(deadline()); err != nil {
					return err
				}
				acceptor := gevent.Spawn(ctx, func(ctx context.Context) (net.Conn, error) { return ln.Accept() })
				if err := stillParked(ctx, acceptor); err != nil {
					return err
				}
				c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
				if err != nil {
					return err
				}
				defer c.Close()
				a, err := acceptor.Get(ctx)
				if err != nil {
					t.Fatalf("Accept = %v, want a connection", err)
				}
				return a.Close()
			})
		})
		t.Run(name+"/ReadFrom", func(t *testing.T) {
			geventtest.Run(t, func(ctx context.Context) error {
				pc, err := socket.ListenPacket(ctx, "udp", "127.0.0.1:0")
				if err != nil {
					return err
				}
				defer pc.Close()
				if err := pc.SetReadDeadline(deadline()); err != nil {
					return err
				}
				reader := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
					b := make([]byte, 16)
					n, _, err := pc.ReadFrom(b)
					return string(b[:n]), err
				})
				if err := stillParked(ctx, reader); err != nil {
					return err
				}
				sender, err := socket.ListenPacket(ctx, "udp", "127.0.0.1:0")
				if err != nil {
					return err
				}
				defer sender.Close()
				if _, err := sender.WriteTo([]byte("ping"), pc.LocalAddr()); err != nil {
					return err
				}
				got, err := reader.Get(ctx)
				if err != nil || got != "ping" {
					t.Errorf("ReadFrom = %q, %v; want ping, nil", got, err)
				}
				return nil
			})
		})
		t.Run(name+"/OffHubReadAfterKill", func(t *testing.T) {
			geventtest.Run(t, func(ctx context.Context) error {
				a, b := net.Pipe()
				c := socket.WrapConn(ctx, a) // no descriptor: reads run off the hub
				peer := socket.WrapConn(ctx, b)
				defer c.Close()
				defer peer.Close()
				if err := c.SetReadDeadline(deadline()); err != nil {
					return err
				}
				read := func(ctx context.Context) (string, error) {
					buf := make([]byte, 5)
					_, err := io.ReadFull(c, buf)
					return string(buf), err
				}
				// A kill interrupts the goroutine's read with a past
				// deadline and then restores the one set above.
				first := gevent.Spawn(ctx, read)
				if err := stillParked(ctx, first); err != nil {
					return err
				}
				first.Kill(ctx)
				second := gevent.Spawn(ctx, read)
				if err := stillParked(ctx, second); err != nil {
					return err
				}
				// From another greenlet: a pipe's Write waits for a reader,
				// and the reader may have failed.
				gevent.Spawn(ctx, func(ctx context.Context) (int, error) { return peer.Write([]byte("hello")) })
				got, err := second.Get(ctx)
				if err != nil || got != "hello" {
					t.Errorf("Read after a kill = %q, %v; want hello, nil", got, err)
				}
				return nil
			})
		})
	}
}

// A deadline before 1678 (UnixNano underflows) has passed: a parked Read
// and Accept time out at once, as the standard library's do.
func TestFarPastDeadlineTimesOut(t *testing.T) {
	failAfter(t, time.Minute)
	past := time.Unix(-1<<40, 0)
	geventtest.Run(t, func(ctx context.Context) error {
		ln := echoServer(ctx, t)
		defer ln.Close()
		c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.SetReadDeadline(past); err != nil {
			return err
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Read with a deadline in year -32873: err = %v, want os.ErrDeadlineExceeded", err)
		}
		l2, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer l2.Close()
		if err := l2.(*socket.Listener).SetDeadline(past); err != nil {
			return err
		}
		if _, err := l2.Accept(); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Accept with a deadline in year -32873: err = %v, want os.ErrDeadlineExceeded", err)
		}
		return nil
	})
}
