package socket_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/socket"
)

// onHubs serves a group of two hubs under a deadline and runs body as a
// greenlet of hub 0, with a context that spawns on hub 1; the group stops
// when body returns.
func onHubs(t *testing.T, body func(ctx0, ctx1 context.Context) error) {
	t.Helper()
	failAfter(t, 30*time.Second)
	g := gevent.NewHubGroup(2)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	done := gevent.Go(g.Hub(0).Context(), func(ctx0 context.Context) error {
		return body(ctx0, g.Hub(1).Context())
	})
	done.OnReady(g.Stop)
	if err := g.Serve(ctx); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if err := done.Err(); err != nil {
		t.Fatal(err)
	}
}

// A Conn of hub 0 handed to hub 1 with WrapConn (how a connection
// accepted on one hub moves to another) serves hub 1's greenlets: their
// Read parks them on hub 1 while hub 0 keeps running its own greenlets,
// and no byte is lost. Hub 0's busy greenlet is what the old wrapping
// (a Conn over the hub-0 Conn) collided with.
func TestWrapConnOfAnotherHub(t *testing.T) {
	for _, kind := range []string{"conn", "listener", "packet"} {
		t.Run(kind, func(t *testing.T) {
			onHubs(t, func(ctx0, ctx1 context.Context) error {
				var stop bool
				busy := gevent.Go(ctx0, func(ctx context.Context) error {
					for !stop {
						if err := gevent.Yield(ctx); err != nil {
							return err
						}
					}
					return nil
				})
				defer func() { stop = true; _ = busy.Join(ctx0) }()
				got, err := crossHub(ctx0, ctx1, kind)
				if err != nil {
					return err
				}
				if got != "hello" {
					t.Errorf("hub 1 read %q, want %q", got, "hello")
				}
				return nil
			})
		})
	}
}

// crossHub makes a value of kind on ctx0's hub, wraps it for ctx1's hub,
// and has a greenlet of hub 1 wait on it (Read, Accept then Read, ReadFrom)
// until hub 0 sends "hello".
func crossHub(ctx0, ctx1 context.Context, kind string) (string, error) {
	buf := make([]byte, 5)
	switch kind {
	case "conn":
		a, b, err := pair(ctx0)
		if err != nil {
			return "", err
		}
		defer a.Close()
		defer b.Close()
		// a waits on hub 0 first, so that its descriptor is in hub 0's
		// poller too when hub 1's value registers it in its own: each
		// poller gets every edge.
		r0 := gevent.Spawn(ctx0, func(ctx context.Context) (int, error) { return a.Read(make([]byte, 1)) })
		if err := stillParked(ctx0, r0); err != nil {
			return "", err
		}
		if _, err := io.WriteString(b, "x"); err != nil {
			return "", err
		}
		if _, err := r0.Get(ctx0); err != nil {
			return "", err
		}
		r := gevent.Spawn(ctx1, func(ctx context.Context) (string, error) {
			_, err := io.ReadFull(socket.WrapConn(ctx, a), buf)
			return string(buf), err
		})
		if err := gevent.Sleep(ctx0, 50*time.Millisecond); err != nil {
			return "", err
		}
		if _, err := io.WriteString(b, "hello"); err != nil {
			return "", err
		}
		return r.Get(ctx0)
	case "listener":
		ln, err := socket.Listen(ctx0, "tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer ln.Close()
		r := gevent.Spawn(ctx1, func(ctx context.Context) (string, error) {
			c, err := socket.WrapListener(ctx, ln).Accept()
			if err != nil {
				return "", err
			}
			defer c.Close()
			_, err = io.ReadFull(c, buf)
			return string(buf), err
		})
		if err := gevent.Sleep(ctx0, 50*time.Millisecond); err != nil {
			return "", err
		}
		c, err := socket.Dial(ctx0, "tcp", ln.Addr().String())
		if err != nil {
			return "", err
		}
		defer c.Close()
		if _, err := io.WriteString(c, "hello"); err != nil {
			return "", err
		}
		return r.Get(ctx0)
	default:
		pc, err := socket.ListenPacket(ctx0, "udp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer pc.Close()
		r := gevent.Spawn(ctx1, func(ctx context.Context) (string, error) {
			n, _, err := socket.WrapPacketConn(ctx, pc).ReadFrom(buf)
			return string(buf[:n]), err
		})
		if err := gevent.Sleep(ctx0, 50*time.Millisecond); err != nil {
			return "", err
		}
		c, err := socket.Dial(ctx0, "udp", pc.LocalAddr().String())
		if err != nil {
			return "", err
		}
		defer c.Close()
		if _, err := io.WriteString(c, "hello"); err != nil {
			return "", err
		}
		return r.Get(ctx0)
	}
}

// Closing the value a Conn was rebound to also wakes the old value's
// parked Read with net.ErrClosed: closing the descriptor alone raises no
// epoll event, so the old reader would wait for ever.
func TestWrapConnCloseWakesOldValue(t *testing.T) {
	onHubs(t, func(ctx0, ctx1 context.Context) error {
		a, b, err := pair(ctx0)
		if err != nil {
			return err
		}
		defer a.Close()
		defer b.Close()
		r := gevent.Spawn(ctx0, func(ctx context.Context) (int, error) { return a.Read(make([]byte, 1)) })
		if err := stillParked(ctx0, r); err != nil {
			return err
		}
		c := gevent.Go(ctx1, func(ctx context.Context) error { return socket.WrapConn(ctx, a).Close() })
		if err := c.Join(ctx0); err != nil {
			return err
		}
		if err := c.Err(); err != nil {
			return err
		}
		if _, err := r.Get(ctx0); !errors.Is(err, net.ErrClosed) {
			t.Errorf("old value's Read after the new value closed: %v, want net.ErrClosed", err)
		}
		return nil
	})
}
