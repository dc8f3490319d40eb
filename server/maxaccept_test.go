package server_test

import (
	"context"
	"net"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

// countingSpawner counts the handlers started (one per accepted
// connection or read datagram) and runs them with gevent.Go.
type countingSpawner struct{ calls int }

func (f *countingSpawner) Spawn(ctx context.Context, fn func(context.Context) error, opts ...gevent.SpawnOption) (*gevent.Greenlet[struct{}], error) {
	f.calls++
	return gevent.Go(ctx, fn, opts...), nil
}
func (f *countingSpawner) Full() bool                                     { return false }
func (f *countingSpawner) WaitAvailable(ctx context.Context) (int, error) { return 1, nil }

// A backlog of connections does not starve the handlers: the accept loop
// lets them run after at most MaxAccept accepts (gevent's max_accept; the
// loop accepted the whole backlog before any handler ran).
func TestAcceptLoopYieldsAfterMaxAccept(t *testing.T) {
	failAfterT(t)
	const backlog = 3 * server.MaxAccept
	runHub(t, func(ctx context.Context) error {
		l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		// The kernel completes these handshakes into the backlog before
		// the server accepts any.
		cs := make([]net.Conn, 0, backlog)
		defer func() {
			for _, c := range cs {
				c.Close()
			}
		}()
		for range backlog {
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				return err
			}
			cs = append(cs, c)
		}
		sp := &countingSpawner{}
		first, handled := -1, 0
		srv := &server.StreamServer{ErrorLog: quiet, Pool: sp, Handler: func(ctx context.Context, c net.Conn) {
			if first < 0 {
				first = sp.calls
			}
			handled++
		}}
		sg := gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(ctx, l), nil })
		for handled < backlog {
			if err := gevent.Yield(ctx); err != nil {
				return err
			}
		}
		srv.Close()
		_ = sg.Join(ctx)
		if first > server.MaxAccept {
			t.Errorf("the first handler ran after %d accepts, want at most %d", first, server.MaxAccept)
		}
		return nil
	})
}

// The same for a DatagramServer's read loop and a queue of datagrams.
func TestReadLoopYieldsAfterMaxAccept(t *testing.T) {
	failAfterT(t)
	// A few more than MaxAccept: small enough for the default receive
	// buffer, so that none is dropped.
	const queued = server.MaxAccept + 10
	runHub(t, func(ctx context.Context) error {
		pc, err := socket.ListenPacket(ctx, "udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		c, err := net.Dial("udp", pc.LocalAddr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		for range queued {
			if _, err := c.Write([]byte("d")); err != nil {
				return err
			}
		}
		sp := &countingSpawner{}
		first := -1
		srv := &server.DatagramServer{ErrorLog: quiet, Pool: sp, Handler: func(ctx context.Context, data []byte, addr net.Addr) {
			if first < 0 {
				first = sp.calls
			}
		}}
		sg := gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(ctx, pc), nil })
		for sp.calls < queued || first < 0 {
			if err := gevent.Yield(ctx); err != nil {
				return err
			}
		}
		srv.Close()
		_ = sg.Join(ctx)
		if first > server.MaxAccept {
			t.Errorf("the first handler ran after %d datagrams, want at most %d", first, server.MaxAccept)
		}
		return nil
	})
}
