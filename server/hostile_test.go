package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

// ListenAndServe over a group on an address that cannot be bound fails at
// once, with nothing left open; the server can still be closed.
func TestHostileGroupListenBadAddr(t *testing.T) {
	runGroup(t, 3, func(ctx context.Context) error {
		for _, addr := range []string{"127.0.0.1:99999", "no-port", "256.1.1.1:0"} {
			srv := &server.StreamServer{Addr: addr, ErrorLog: quiet, Handler: func(context.Context, net.Conn) {}}
			if err := srv.ListenAndServe(gevent.Spread(ctx)); err == nil || errors.Is(err, server.ErrServerClosed) {
				t.Errorf("ListenAndServe(%q) = %v, want a listen error", addr, err)
			}
			if err := srv.Close(); err != nil {
				t.Errorf("Close after a failed ListenAndServe = %v", err)
			}
		}
		return nil
	})
}

// Shutdown and Close twice, in both orders, over a group: each returns, the
// second is harmless, and Serve returns ErrServerClosed.
func TestHostileGroupShutdownTwice(t *testing.T) {
	runGroup(t, 2, func(ctx context.Context) error {
		srv := &server.StreamServer{Addr: "127.0.0.1:0", ErrorLog: quiet, Handler: func(context.Context, net.Conn) {}}
		served := gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.ListenAndServe(gevent.Spread(ctx)), nil })
		if err := gevent.Yield(ctx); err != nil {
			return err
		}
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown = %v", err)
		}
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("second Shutdown = %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Close after Shutdown = %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
		if v, err := served.Get(ctx); !errors.Is(v, server.ErrServerClosed) || err != nil {
			t.Errorf("ListenAndServe = %v, %v; want ErrServerClosed", v, err)
		}
		return nil
	})
}

// Close while connections are being handed off to the group's hubs: every
// client connection is answered or closed (EOF or a reset), none is left
// open with nobody serving it.
func TestHostileGroupCloseDuringHandOff(t *testing.T) {
	runGroup(t, 3, func(ctx context.Context) error {
		l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr := l.Addr().String()
		srv := &server.StreamServer{ErrorLog: quiet, Handler: func(ctx context.Context, c net.Conn) {
			_, _ = io.WriteString(c, "hi")
			_, _ = io.Copy(io.Discard, c) // until the client closes, or the kill
		}}
		served := gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(gevent.Spread(ctx), l), nil })
		const n = 40
		return offHub(ctx, func() error {
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i == n/2 {
						srv.Close()
					}
					c, err := net.Dial("tcp", addr)
					if err != nil {
						return // refused after Close: fine
					}
					defer c.Close()
					c.SetReadDeadline(time.Now().Add(10 * time.Second))
					buf := make([]byte, 8)
					for {
						if _, err := c.Read(buf); err != nil {
							if errors.Is(err, os.ErrDeadlineExceeded) {
								errs <- errors.New("a connection was neither served nor closed")
							}
							return
						}
					}
				}()
			}
			wg.Wait()
			srv.Close()
			close(errs)
			for err := range errs {
				return err
			}
			if v, err := served.Get(context.Background()); !errors.Is(v, server.ErrServerClosed) || err != nil {
				return errors.Join(errors.New("Serve did not return ErrServerClosed"), v, err)
			}
			return nil
		})
	})
}

// The datagram server and the HTTP adapter over a group: a bad address
// fails at once; Close twice is harmless; WriteTo with no socket fails with
// net.ErrClosed.
func TestHostileGroupDatagramAndHTTP(t *testing.T) {
	runGroup(t, 2, func(ctx context.Context) error {
		ds := &server.DatagramServer{Addr: "127.0.0.1:99999", ErrorLog: quiet, Handler: func(context.Context, []byte, net.Addr) {}}
		if err := ds.ListenAndServe(gevent.Spread(ctx)); err == nil || errors.Is(err, server.ErrServerClosed) {
			t.Errorf("DatagramServer.ListenAndServe(bad) = %v", err)
		}
		if _, err := ds.WriteTo(ctx, []byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); !errors.Is(err, net.ErrClosed) {
			t.Errorf("WriteTo without a socket = %v, want net.ErrClosed", err)
		}
		if err := ds.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
		if err := ds.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
		if err := server.ListenAndServeHTTP(gevent.Spread(ctx), "127.0.0.1:99999", http.NotFoundHandler()); err == nil {
			t.Error("ListenAndServeHTTP(bad) = nil")
		}
		return nil
	})
}
