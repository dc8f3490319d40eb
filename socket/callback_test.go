package socket_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/socket"
)

// inCallback runs f in a hub callback (an OnReady function) and returns
// what it panicked with (nil: it returned).
func inCallback(ctx context.Context, f func()) (any, error) {
	g := gevent.Go(ctx, func(context.Context) error { return nil })
	done := make(chan any, 1)
	g.OnReady(func() {
		defer func() { done <- recover() }()
		f()
	})
	return gevent.Blocking(ctx, func(context.Context) (any, error) {
		select {
		case v := <-done:
			return v, nil
		case <-time.After(10 * time.Second):
			return nil, fmt.Errorf("the callback did not return: it blocked the hub")
		}
	})
}

// A socket call made inside a hub callback, where the hub runs no
// greenlet to park, succeeds when it need not wait and panics when it
// would (gevent's BlockingSwitchOutError, "Impossible to call blocking
// function in the event loop callback"). It blocked the hub's goroutine,
// and with it every greenlet of the hub, for good when the data it waited
// for was to come from one of them.
func TestSocketCallInHubCallback(t *testing.T) {
	failAfter(t, 30*time.Second)
	geventtest.Run(t, func(ctx context.Context) error {
		a, b, err := pair(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		defer b.Close()
		ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		pc, err := socket.ListenPacket(ctx, "udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer pc.Close()
		pa, pb := net.Pipe()
		wp := socket.WrapConn(ctx, pa)
		defer wp.Close()
		defer pb.Close()
		full := make([]byte, 64<<20)
		wouldWait := map[string]func(){
			"Read":     func() { _, _ = a.Read(make([]byte, 4)) },
			"Write":    func() { _, _ = a.Write(full) },
			"Accept":   func() { _, _ = ln.Accept() },
			"ReadFrom": func() { _, _, _ = pc.ReadFrom(make([]byte, 4)) },
			"pipe":     func() { _, _ = wp.Read(make([]byte, 4)) },
		}
		for name, f := range wouldWait {
			v, err := inCallback(ctx, f)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if msg, _ := v.(string); !strings.HasPrefix(msg, "gevent/socket: ") || !strings.Contains(msg, "callback") ||
				(name != "pipe" && !strings.Contains(msg, name)) {
				t.Errorf("%s in a hub callback with nothing to do: panic %v, want a gevent/socket: message naming the callback", name, v)
			}
		}
		// Drain what the Write above sent, so that the peer's data below
		// is what the next Read returns.
		if err := a.Close(); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, b); err != nil {
			return err
		}
		// A call that need not wait works.
		c, d, err := pair(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		defer d.Close()
		// One write, one segment: once a greenlet has read its first half,
		// the second is queued.
		if _, err := io.WriteString(d, "pingpong"); err != nil {
			return err
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		var got string
		v, err := inCallback(ctx, func() {
			n, _ := c.Read(buf)
			got = string(buf[:n])
		})
		if err != nil {
			return err
		}
		if v != nil || got != "pong" {
			t.Errorf("Read in a callback with data queued = %q, panic %v; want pong", got, v)
		}
		return nil
	})
}

// Listen and ListenPacket of a host name with a context that carries no
// greenlet, inside a hub callback, panic instead of resolving the name on
// the hub's goroutine; an IP address, bound without waiting, still works.
func TestListenNameInHubCallback(t *testing.T) {
	failAfter(t, 30*time.Second)
	onHubs(t, func(ctx0, hctx context.Context) error {
		for _, network := range []string{"tcp", "udp"} {
			listen := func(address string) (io.Closer, error) {
				if network == "tcp" {
					return socket.Listen(hctx, network, address)
				}
				return socket.ListenPacket(hctx, network, address)
			}
			v, err := inCallback(ctx0, func() {
				if c, err := listen("localhost:0"); err == nil {
					c.Close()
				}
			})
			if err != nil {
				return err
			}
			if msg, _ := v.(string); !strings.HasPrefix(msg, "gevent") || !strings.Contains(msg, "callback") {
				t.Errorf("%s Listen of a name in a hub callback: panic %v, want a gevent message naming the callback", network, v)
			}
			var lerr error
			v, err = inCallback(ctx0, func() {
				var c io.Closer
				if c, lerr = listen("127.0.0.1:0"); lerr == nil {
					c.Close()
				}
			})
			if err != nil {
				return err
			}
			if v != nil || lerr != nil {
				t.Errorf("%s Listen of an IP address in a hub callback: panic %v, error %v", network, v, lerr)
			}
		}
		return nil
	})
}
