package socket_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/socket"
)

// echoServer listens on loopback and echoes every connection in its own
// greenlet until the listener closes.
func echoServer(ctx context.Context, t *testing.T) net.Listener {
	t.Helper()
	ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gevent.Go(ctx, func(ctx context.Context) error {
		for {
			c, err := ln.Accept()
			if err != nil {
				return nil
			}
			gevent.Go(ctx, func(ctx context.Context) error {
				defer c.Close()
				io.Copy(c, c)
				return nil
			})
		}
	})
	return ln
}

func TestEchoRoundTrip(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ln := echoServer(ctx, t)
		defer ln.Close()
		c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		if _, ok := c.(*socket.Conn); !ok {
			t.Errorf("Dial returned %T, want *socket.Conn", c)
		}
		r := bufio.NewReader(c)
		for i := range 100 {
			msg := []byte("hello " + string(rune('a'+i%26)) + "\n")
			if _, err := c.Write(msg); err != nil {
				return err
			}
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if line != string(msg) {
				t.Fatalf("echo = %q, want %q", line, msg)
			}
		}
		return nil
	})
}

func TestBlockedReadLetsOthersRun(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ln := echoServer(ctx, t)
		defer ln.Close()
		c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		var ticks atomic.Int64
		reader := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			buf := make([]byte, 16)
			n, err := c.Read(buf)
			return string(buf[:n]), err
		})
		// The reader is parked in Read; the hub keeps running us.
		for range 100 {
			ticks.Add(1)
			if err := gevent.Yield(ctx); err != nil {
				return err
			}
		}
		if reader.Ready() {
			t.Fatal("reader finished before any data was sent")
		}
		if _, err := c.Write([]byte("ping")); err != nil {
			return err
		}
		got, err := reader.Get(ctx)
		if err != nil || got != "ping" {
			t.Fatalf("Read = %q, %v; want ping", got, err)
		}
		if ticks.Load() != 100 {
			t.Fatalf("ticks = %d, want 100", ticks.Load())
		}
		return nil
	})
}

func TestKillBlockedRead(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ln := echoServer(ctx, t)
		defer ln.Close()
		c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		reader := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			return c.Read(make([]byte, 16))
		})
		gevent.Yield(ctx) // let it park
		reader.Kill(ctx)
		_, err = reader.Get(ctx)
		if !errors.Is(err, gevent.ErrGreenletExit) {
			t.Fatalf("killed Read: err = %v, want ErrGreenletExit", err)
		}
		// The connection still works for another greenlet.
		if _, err := c.Write([]byte("again")); err != nil {
			return err
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "again" {
			t.Fatalf("read after kill = %q, %v", buf, err)
		}
		return nil
	})
}

func TestReadDeadline(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ln := echoServer(ctx, t)
		defer ln.Close()
		c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(-time.Second))
		_, err = c.Read(make([]byte, 1))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("past deadline: err = %v, want os.ErrDeadlineExceeded", err)
		}
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, err = c.Read(make([]byte, 1))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("deadline during read: err = %v, want os.ErrDeadlineExceeded", err)
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("err = %v, want a net.Error with Timeout()", err)
		}
		return nil
	})
}
