package socket_test

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/socket"
)

// racyListener is a listener without a descriptor (served off the hub)
// whose Accept returns its connection just as the waiting greenlet's kill
// interrupts it (SetDeadline in the past): the race of a kill with an
// arriving connection, made deterministic.
type racyListener struct {
	mu      sync.Mutex
	conn    net.Conn // handed out once released
	release chan struct{}
	closed  chan struct{}
	entered chan struct{} // receives when an Accept has begun
}

func (l *racyListener) Accept() (net.Conn, error) {
	select {
	case l.entered <- struct{}{}:
	default:
	}
	select {
	case <-l.release:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.conn; c != nil {
		l.conn = nil
		return c, nil
	}
	return nil, os.ErrDeadlineExceeded
}

func (l *racyListener) SetDeadline(t time.Time) error {
	if !t.IsZero() && t.Before(time.Now()) {
		l.mu.Lock()
		select {
		case <-l.release:
		default:
			close(l.release)
		}
		l.mu.Unlock()
	}
	return nil
}

func (l *racyListener) Close() error   { close(l.closed); return nil }
func (l *racyListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// closeRecorder is a connection that records its Close.
type closeRecorder struct {
	net.Conn
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

// A connection accepted off the hub just as the waiting greenlet was killed
// is not lost: the next Accept returns it (it was closed).
func TestKilledAcceptKeepsTheConnection(t *testing.T) {
	failAfter(t, 30*time.Second)
	geventtest.Run(t, func(ctx context.Context) error {
		a, b := net.Pipe()
		defer b.Close()
		conn := &closeRecorder{Conn: a}
		rl := &racyListener{conn: conn, release: make(chan struct{}), closed: make(chan struct{}), entered: make(chan struct{}, 1)}
		ln := socket.WrapListener(ctx, rl)
		defer ln.Close()
		acc := gevent.Spawn(ctx, func(ctx context.Context) (net.Conn, error) { return ln.Accept() })
		// The standard Accept is under way when the kill comes.
		if _, err := gevent.Blocking(ctx, func(context.Context) (struct{}, error) {
			<-rl.entered
			return struct{}{}, nil
		}); err != nil {
			return err
		}
		acc.Kill(ctx)
		if _, err := acc.Get(ctx); !errors.Is(err, gevent.ErrGreenletExit) {
			t.Fatalf("killed Accept: %v, want the kill", err)
		}
		if conn.closed {
			t.Fatal("the connection accepted as the Accept was killed was closed")
		}
		c, err := ln.Accept()
		if err != nil {
			t.Fatalf("next Accept: %v, want the connection", err)
		}
		if got := c.(*socket.Conn).NetConn(); got != net.Conn(conn) {
			t.Errorf("next Accept returned %v, want the connection of the killed one", got)
		}
		return nil
	})
}
