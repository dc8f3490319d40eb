package sim_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/sim"
	"github.com/gevent-go/gevent/socket"
)

// Addresses are 10.0.0.x in creation order, names and addresses resolve
// through the host table, ephemeral ports are sequential per host, and the
// usual errors come back for what cannot be done.
func TestHostsNamesAndPorts(t *testing.T) {
	runNet(t, sim.NetOptions{}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		if a.Addr().String() != "10.0.0.1" || b.Addr().String() != "10.0.0.2" || n.Host("a") != a {
			return fmt.Errorf("addresses %v %v", a, b)
		}
		l1 := listen(ctx, t, b)
		l2 := listen(ctx, t, b)
		if l1.Addr().String() != "10.0.0.2:49152" || l2.Addr().String() != "10.0.0.2:49153" {
			return fmt.Errorf("listener addresses %v %v", l1.Addr(), l2.Addr())
		}
		if _, ok := l1.Addr().(*net.TCPAddr); !ok {
			return fmt.Errorf("listener address is a %T", l1.Addr())
		}
		for _, addr := range []string{"b:" + port(l1.Addr()), "10.0.0.2:" + port(l1.Addr())} {
			acc := gevent.Spawn(ctx, func(ctx context.Context) (net.Conn, error) { return l1.Accept() })
			c, err := socket.Dial(a.Context(ctx), "tcp", addr)
			if err != nil {
				return fmt.Errorf("Dial %s: %v", addr, err)
			}
			s, err := acc.Get(ctx)
			if err != nil {
				return err
			}
			if c.RemoteAddr().String() != l1.Addr().String() || s.RemoteAddr().String() != c.LocalAddr().String() ||
				c.LocalAddr().(*net.TCPAddr).IP.String() != "10.0.0.1" {
				return fmt.Errorf("addresses: client %v→%v, server %v→%v", c.LocalAddr(), c.RemoteAddr(), s.LocalAddr(), s.RemoteAddr())
			}
			c.Close()
			s.Close()
		}
		// Loopback: a host reaches itself.
		acc := gevent.Spawn(ctx, func(ctx context.Context) (net.Conn, error) { return l2.Accept() })
		if _, err := b.Dial(ctx, "tcp", "localhost:"+port(l2.Addr())); err != nil {
			return fmt.Errorf("loopback dial: %v", err)
		}
		if _, err := acc.Get(ctx); err != nil {
			return err
		}
		var dnsErr *net.DNSError
		if _, err := a.Dial(ctx, "tcp", "nowhere:80"); !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
			return fmt.Errorf("unknown name: %v", err)
		}
		if _, err := a.Dial(ctx, "tcp", "10.0.9.9:80"); !errors.Is(err, syscall.EHOSTUNREACH) {
			return fmt.Errorf("unknown address: %v", err)
		}
		if _, err := a.Dial(ctx, "tcp", "b:1"); !errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("closed port: %v", err)
		}
		if _, err := b.Listen(ctx, "tcp", l1.Addr().String()); !errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("port in use: %v", err)
		}
		if _, err := b.Listen(ctx, "tcp", "10.0.0.1:80"); !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return fmt.Errorf("another host's address: %v", err)
		}
		var unknown net.UnknownNetworkError
		if _, err := a.Dial(ctx, "unix", "/x"); !errors.As(err, &unknown) {
			return fmt.Errorf("unix: %v", err)
		}
		// A closed listener frees its port.
		l1.Close()
		if l, err := b.Listen(ctx, "tcp", l1.Addr().String()); err != nil {
			return fmt.Errorf("port after Close: %v", err)
		} else {
			l.Close()
		}
		return nil
	})
}

// socket's Wrap functions pass simulated sockets through, so that
// server.StreamServer serves a simulated listener unchanged: an echo
// server on one host, three clients on three others.
func TestStreamServerOnSimulatedNet(t *testing.T) {
	runNet(t, sim.NetOptions{}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		srvHost := n.Host("srv")
		l, err := socket.Listen(srvHost.Context(ctx), "tcp", ":7")
		if err != nil {
			return err
		}
		if socket.WrapListener(ctx, l) != l {
			return errors.New("WrapListener wrapped a simulated listener")
		}
		pc, _ := socket.ListenPacket(srvHost.Context(ctx), "udp", ":0")
		if socket.WrapPacketConn(ctx, pc) != pc {
			return errors.New("WrapPacketConn wrapped a simulated socket")
		}
		pc.Close()
		srv := &server.StreamServer{Handler: func(ctx context.Context, conn net.Conn) {
			io.Copy(conn, conn)
		}}
		serving := srvHost.Go(ctx, "serve", func(ctx context.Context) error { return closed(srv.Serve(ctx, l)) })
		var clients []*gevent.Greenlet[struct{}]
		for i := range 3 {
			h := n.Host(fmt.Sprint("client", i))
			clients = append(clients, h.Go(ctx, "client", func(ctx context.Context) error {
				c, err := socket.Dial(ctx, "tcp", "srv:7")
				if err != nil {
					return err
				}
				defer c.Close()
				if socket.WrapConn(ctx, c) != c {
					return errors.New("WrapConn wrapped a simulated connection")
				}
				msg := fmt.Sprintf("hello from %s", h.Name())
				c.Write([]byte(msg))
				buf := make([]byte, len(msg))
				if _, err := io.ReadFull(c, buf); err != nil {
					return err
				}
				if string(buf) != msg {
					return fmt.Errorf("echo %q", buf)
				}
				return nil
			}))
		}
		if _, err := gevent.JoinAll(ctx, clients, gevent.RaiseError()); err != nil {
			return err
		}
		srv.Close()
		if err := serving.Join(ctx); err != nil {
			return err
		}
		// ListenAndServe with a host's context listens on the host.
		srv2 := &server.StreamServer{Addr: ":8", Handler: func(ctx context.Context, conn net.Conn) { conn.Write([]byte("hi")) }}
		serving = srvHost.Go(ctx, "serve2", func(ctx context.Context) error { return closed(srv2.ListenAndServe(ctx)) })
		gevent.Yield(ctx)
		c, err := socket.Dial(a.Context(ctx), "tcp", "srv:8")
		if err != nil {
			return err
		}
		got, err := readAll(c)
		if err != nil || string(got) != "hi" {
			return fmt.Errorf("ListenAndServe: %q, %v", got, err)
		}
		srv2.Close()
		return serving.Join(ctx)
	})
}

// Sockets made by plain goroutines (with a Hub's Context) block their
// callers with the same contract: data, deadlines, EOF.
func TestStreamFromGoroutines(t *testing.T) {
	hub := gevent.NewHub()
	served := make(chan error, 1)
	go func() { served <- hub.Serve(context.Background()) }()
	defer func() {
		hub.Stop()
		<-served
	}()
	n := sim.NewNet(sim.NetOptions{})
	a, b := n.Host("a"), n.Host("b")
	l, err := socket.Listen(b.Context(hub.Context()), "tcp", ":7")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	watchdog := time.AfterFunc(20*time.Second, func() {
		t.Error("hung: closing the listener")
		l.Close()
	})
	defer watchdog.Stop()
	echoed := make(chan error, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			echoed <- err
			return
		}
		defer conn.Close()
		_, err = io.Copy(conn, conn)
		echoed <- err
	}()
	c, err := socket.Dial(a.Context(hub.Context()), "tcp", "b:7")
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read with nothing sent: %v", err)
	}
	c.SetReadDeadline(time.Time{})
	c.Write([]byte("ping"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo %q, %v", buf, err)
	}
	c.(interface{ CloseWrite() error }).CloseWrite()
	if _, err := c.Read(buf); err != io.EOF {
		t.Fatalf("read after the echo ended: %v", err)
	}
	c.Close()
	if err := <-echoed; err != nil {
		t.Fatal(err)
	}
}

// closed returns nil for the error of a server stopped by Close.
func closed(err error) error {
	if errors.Is(err, server.ErrServerClosed) {
		return nil
	}
	return err
}
