package socket_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/socket"
)

// drainedPair returns a connected pair whose client has made one short
// read (so its next read waits for a readable event, poll.Desc.WaitData)
// and a reader greenlet that then calls next on the client and returns
// what it read and its error. The reader is parked when drainedPair
// returns.
func drainedPair(ctx context.Context, buf int) (cli, srv net.Conn, reader *gevent.Greenlet[string], err error) {
	ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, err
	}
	defer ln.Close()
	if cli, err = socket.Dial(ctx, "tcp", ln.Addr().String()); err != nil {
		return nil, nil, nil, err
	}
	if srv, err = ln.Accept(); err != nil {
		cli.Close()
		return nil, nil, nil, err
	}
	var first event.Event
	reader = gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
		return gevent.WithTimeoutFunc(ctx, 3*time.Second, func(ctx context.Context) (string, error) {
			b := make([]byte, buf)
			n, err := cli.Read(b) // parks: registers the descriptor
			if err != nil || n != 1 {
				return string(b[:n]), err
			}
			first.Set()
			n, err = cli.Read(b) // drained: waits for an event
			return string(b[:n]), err
		})
	})
	gevent.Yield(ctx)
	if _, err := srv.Write([]byte("x")); err != nil {
		return nil, nil, nil, err
	}
	if err := first.Wait(ctx); err != nil {
		return nil, nil, nil, err
	}
	return cli, srv, reader, nil
}

// spawnRead spawns a greenlet that makes one read of up to n bytes from c,
// under a deadline, and returns what it read.
func spawnRead(ctx context.Context, c net.Conn, n int) *gevent.Greenlet[string] {
	return gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
		return gevent.WithTimeoutFunc(ctx, 3*time.Second, func(ctx context.Context) (string, error) {
			b := make([]byte, n)
			n, err := c.Read(b)
			return string(b[:n]), err
		})
	})
}

// A read parked after a short read ends with net.ErrClosed when its
// connection is closed, os.ErrDeadlineExceeded when its deadline is moved
// into the past, io.EOF when the peer shuts its side, and with data that
// comes later.
func TestDrainedReadEnds(t *testing.T) {
	for _, c := range []struct {
		name string
		do   func(cli, srv net.Conn) error
		want func(got string, err error) bool
	}{
		{"close", func(cli, srv net.Conn) error { return cli.Close() },
			func(got string, err error) bool { return errors.Is(err, net.ErrClosed) }},
		{"past deadline", func(cli, srv net.Conn) error { return cli.SetReadDeadline(time.Now().Add(-time.Second)) },
			func(got string, err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }},
		{"peer close write", func(cli, srv net.Conn) error { return srv.(*socket.Conn).CloseWrite() },
			func(got string, err error) bool { return err == io.EOF }},
		{"data later", func(cli, srv net.Conn) error { _, err := srv.Write([]byte("later")); return err },
			func(got string, err error) bool { return err == nil && got == "later" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			geventtest.Run(t, func(ctx context.Context) error {
				cli, srv, reader, err := drainedPair(ctx, 16)
				if err != nil {
					return err
				}
				defer cli.Close()
				defer srv.Close()
				if err := c.do(cli, srv); err != nil {
					return err
				}
				got, err := reader.Get(ctx)
				if !c.want(got, err) {
					t.Errorf("read %q, %v", got, err)
				}
				return nil
			})
		})
	}
}

// A read that fills its buffer exactly may leave data queued with no edge
// to come for it: the next read must read, not wait; and once the queue is
// empty, data written later still wakes the reader.
func TestDrainedReadExactBuffer(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		cli, srv, reader, err := drainedPair(ctx, 4)
		if err != nil {
			return err
		}
		defer cli.Close()
		defer srv.Close()
		if _, err := srv.Write([]byte("abcdefgh")); err != nil {
			return err
		}
		if got, err := reader.Get(ctx); err != nil || got != "abcd" {
			t.Fatalf("first read %q, %v; want abcd", got, err)
		}
		b := make([]byte, 4)
		got, err := gevent.WithTimeoutFunc(ctx, 3*time.Second, func(ctx context.Context) (string, error) {
			n, err := io.ReadFull(cli, b)
			return string(b[:n]), err
		})
		if err != nil || got != "efgh" {
			t.Fatalf("second read %q, %v; want efgh", got, err)
		}
		later := spawnRead(ctx, cli, 4)
		gevent.Yield(ctx) // it reads, finds nothing, parks
		if _, err := srv.Write([]byte("ij")); err != nil {
			return err
		}
		if got, err := later.Get(ctx); err != nil || got != "ij" {
			t.Fatalf("later read %q, %v; want ij", got, err)
		}
		return nil
	})
}

// A reader killed while it waits for an event after a short read ends with
// its kill, and the connection stays usable: the next reader still gets
// the data that comes later.
func TestDrainedReadKilled(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		cli, srv, reader, err := drainedPair(ctx, 16)
		if err != nil {
			return err
		}
		defer cli.Close()
		defer srv.Close()
		reader.Kill(ctx)
		if _, err := reader.Get(ctx); !errors.Is(err, gevent.ErrGreenletExit) {
			t.Errorf("killed reader: %v, want ErrGreenletExit", err)
		}
		next := spawnRead(ctx, cli, 16)
		gevent.Yield(ctx) // it parks
		if _, err := srv.Write([]byte("y")); err != nil {
			return err
		}
		if got, err := next.Get(ctx); err != nil || got != "y" {
			t.Fatalf("next read %q, %v; want y", got, err)
		}
		return nil
	})
}
