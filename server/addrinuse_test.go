package server_test

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/server"
)

// groupServer is a StreamServer or a DatagramServer.
type groupServer interface {
	ListenAndServe(ctx context.Context) error
	Close() error
}

// A server over a group listens with SO_REUSEPORT, which lets any socket of
// the same user bind the address: a second server on an address a group's
// server already serves must still fail with EADDRINUSE, as with one hub
// (and gevent), rather than silently take a share of the first one's
// connections or datagrams.
func TestGroupListenAddressInUse(t *testing.T) {
	addrs := make(chan net.Addr, 4)
	defer server.SetListenEachHook(func(a net.Addr) { addrs <- a })()
	newServer := map[string]func(addr string) groupServer{
		"stream": func(addr string) groupServer {
			return &server.StreamServer{Addr: addr, Handler: hubEcho, ErrorLog: quiet}
		},
		"datagram": func(addr string) groupServer {
			return &server.DatagramServer{Addr: addr, ErrorLog: quiet, Handler: func(context.Context, []byte, net.Addr) {}}
		},
	}
	for kind, mk := range newServer {
		t.Run(kind, func(t *testing.T) {
			runGroup(t, 2, func(ctx context.Context) error {
				first := mk("127.0.0.1:0")
				served := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
					return first.ListenAndServe(gevent.Spread(ctx)), nil
				})
				defer func() {
					first.Close()
					_ = served.Join(ctx)
				}()
				var addr string
				if err := offHub(ctx, func() error {
					select {
					case a := <-addrs:
						addr = a.String()
						return nil
					case <-time.After(20 * time.Second):
						return errors.New("no per-hub sockets opened")
					}
				}); err != nil {
					return err
				}
				second := mk(addr)
				g := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
					return second.ListenAndServe(gevent.Spread(ctx)), nil
				})
				// The second server either opens its sockets (the hook
				// reports them) or fails.
				ended := make(chan struct{})
				g.OnReady(func() { close(ended) })
				var shared bool
				if err := offHub(ctx, func() error {
					select {
					case <-addrs:
						shared = true
					case <-ended:
					case <-time.After(20 * time.Second):
						return errors.New("second ListenAndServe neither opened sockets nor failed")
					}
					return nil
				}); err != nil {
					return err
				}
				if shared {
					second.Close()
					_ = g.Join(ctx)
					t.Errorf("a second server on %s serves too (sharing the port)", addr)
					return nil
				}
				if err := g.Join(ctx); err != nil {
					return err
				}
				if v := g.Value(); !errors.Is(v, syscall.EADDRINUSE) {
					t.Errorf("second ListenAndServe on %s = %v, want EADDRINUSE", addr, v)
				}
				// Once the first has closed, the address is free again.
				first.Close()
				if err := served.Join(ctx); err != nil {
					return err
				}
				third := mk(addr)
				g = gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
					return third.ListenAndServe(gevent.Spread(ctx)), nil
				})
				defer func() {
					third.Close()
					_ = g.Join(ctx)
				}()
				return offHub(ctx, func() error {
					select {
					case <-addrs:
						return nil
					case <-time.After(20 * time.Second):
						return errors.New("a server on the address freed by Close did not open its sockets")
					}
				})
			})
		})
	}
}
