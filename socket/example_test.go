package socket_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/socket"
)

// An upper-casing TCP server and two clients, all on one hub: each greenlet
// parks only itself in Accept, Read and Write.
func Example() {
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		gevent.Go(ctx, func(ctx context.Context) error {
			for {
				c, err := ln.Accept()
				if err != nil {
					return nil // closed
				}
				gevent.Go(ctx, func(ctx context.Context) error {
					defer c.Close()
					line, err := bufio.NewReader(c).ReadString('\n')
					if err != nil {
						return err
					}
					_, err = fmt.Fprint(c, strings.ToUpper(line))
					return err
				})
			}
		})
		ask := func(ctx context.Context, q string) (string, error) {
			c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
			if err != nil {
				return "", err
			}
			defer c.Close()
			fmt.Fprintln(c, q)
			return bufio.NewReader(c).ReadString('\n')
		}
		a := gevent.Spawn(ctx, func(ctx context.Context) (string, error) { return ask(ctx, "hello") })
		b := gevent.Spawn(ctx, func(ctx context.Context) (string, error) { return ask(ctx, "gevent") })
		for _, g := range []*gevent.Greenlet[string]{a, b} {
			s, err := g.Get(ctx)
			if err != nil {
				return err
			}
			fmt.Print(s)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// HELLO
	// GEVENT
}

// A UDP echo on one hub with ListenPacket.
func ExamplePacketConn() {
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		srv, err := socket.ListenPacket(ctx, "udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer srv.Close()
		gevent.Go(ctx, func(ctx context.Context) error {
			buf := make([]byte, 512)
			n, from, err := srv.ReadFrom(buf)
			if err == nil {
				_, err = srv.WriteTo(buf[:n], from)
			}
			return err
		})
		c, err := socket.Dial(ctx, "udp", srv.LocalAddr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		c.Write([]byte("ping"))
		buf := make([]byte, 512)
		n, err := c.Read(buf)
		fmt.Println(string(buf[:n]), err)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: ping <nil>
}

// WrapConn binds an existing connection to a hub.
func ExampleWrapConn() {
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		a, b := net.Pipe() // no file descriptor: served off the hub
		ca, cb := socket.WrapConn(ctx, a), socket.WrapConn(ctx, b)
		defer ca.Close()
		defer cb.Close()
		gevent.Spawn(ctx, func(ctx context.Context) (int, error) { return ca.Write([]byte("wrapped")) })
		buf := make([]byte, 7)
		n, err := cb.Read(buf)
		fmt.Println(string(buf[:n]), err)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: wrapped <nil>
}

// gevent's `with Timeout(0.05): sock.recv(8)`: a timeout the greenlet
// started ends its Read, which takes no context, with an error that is both
// the Timeout's and a socket deadline's. The connection stays usable.
func ExampleConn_Read() {
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		peer := gevent.Spawn(ctx, func(ctx context.Context) (net.Conn, error) { return ln.Accept() })
		c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		p, err := peer.Get(ctx)
		if err != nil {
			return err
		}
		defer p.Close()

		b := make([]byte, 8)
		_, err = gevent.WithTimeoutFunc(ctx, 50*time.Millisecond, func(ctx context.Context) (int, error) {
			return c.Read(b) // the silent peer sends nothing
		})
		var ne net.Error
		fmt.Println("timeout:", errors.Is(err, context.DeadlineExceeded),
			errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout())

		p.Write([]byte("late"))
		n, err := c.Read(b)
		fmt.Println("then:", string(b[:n]), err)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// timeout: true true true
	// then: late <nil>
}

// Close wakes a greenlet parked in Accept with net.ErrClosed: the usual way
// to end an accept loop.
func ExampleListener() {
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		loop := gevent.Go(ctx, func(ctx context.Context) error {
			for {
				c, err := ln.Accept()
				if errors.Is(err, net.ErrClosed) {
					fmt.Println("Accept:", err != nil, "(closed)")
					return nil // the listener was closed: done
				}
				if err != nil {
					return err
				}
				c.Close()
			}
		})
		gevent.Yield(ctx) // the loop parks in Accept
		ln.Close()
		return loop.Join(ctx)
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: Accept: true (closed)
}
