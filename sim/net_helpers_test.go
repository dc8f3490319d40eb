package sim_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/sim"
	"github.com/gevent-go/gevent/socket"
)

// runNet runs body as the main greenlet of a hub (bounded by the test's
// deadline) with a new Net of opts and its hosts "a" and "b".
func runNet(t *testing.T, opts sim.NetOptions, body func(ctx context.Context, n *sim.Net, a, b *sim.Host) error) {
	t.Helper()
	geventtest.Run(t, func(ctx context.Context) error {
		n := sim.NewNet(opts)
		return body(ctx, n, n.Host("a"), n.Host("b"))
	})
}

// listen listens on host h, port 0, and returns the listener.
func listen(ctx context.Context, t testing.TB, h *sim.Host) net.Listener {
	t.Helper()
	l, err := socket.Listen(h.Context(ctx), "tcp", ":0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	return l
}

// pair returns the two ends of a new connection from host a to host b.
func pair(ctx context.Context, t testing.TB, a, b *sim.Host) (client, server net.Conn) {
	t.Helper()
	l := listen(ctx, t, b)
	defer l.Close()
	acc := gevent.Spawn(ctx, func(ctx context.Context) (net.Conn, error) { return l.Accept() })
	c, err := socket.Dial(a.Context(ctx), "tcp", net.JoinHostPort(b.Name(), port(l.Addr())))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	s, err := acc.Get(ctx)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	return c, s
}

func port(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

// readAll reads until EOF or an error other than io.EOF.
func readAll(c net.Conn) ([]byte, error) {
	b, err := io.ReadAll(c)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return b, err
}

func readFull(c net.Conn, b []byte) (int, error) { return io.ReadFull(c, b) }
