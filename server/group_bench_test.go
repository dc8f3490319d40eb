package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/queue"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

// The echo_server row over a group of GOMAXPROCS hubs (issue 12): the
// server listens on every hub (one SO_REUSEPORT listener per hub on Linux),
// and the 50 client greenlets are spread over the hubs too, each dialing
// from its own hub. Compare with BenchmarkEchoServerStreamRawGo at the same
// -cpu.
func BenchmarkEchoServerStreamGroup(b *testing.B) {
	addrs := make(chan net.Addr, 1)
	defer server.SetListenEachHook(func(a net.Addr) { addrs <- a })()
	err := gevent.RunGroup(context.Background(), runtime.GOMAXPROCS(0), func(ctx context.Context) error {
		sctx := gevent.Spread(ctx)
		srv := &server.StreamServer{Addr: "127.0.0.1:0", Handler: func(ctx context.Context, c net.Conn) {
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}}
		var serving *gevent.Greenlet[error]
		var addr string
		if runtime.GOMAXPROCS(0) == 1 {
			// A group of one hub: one listener, as BenchmarkEchoServerStream.
			l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			addr = l.Addr().String()
			serving = gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(sctx, l), nil })
		} else {
			serving = gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.ListenAndServe(sctx), nil })
			if err := offHub(ctx, func() error {
				select {
				case a := <-addrs:
					addr = a.String()
					return nil
				case <-time.After(10 * time.Second):
					return errors.New("no per-hub listeners (SO_REUSEPORT needs Linux)")
				}
			}); err != nil {
				return err
			}
		}
		var remaining atomic.Int64
		remaining.Store(int64(b.N))
		var start event.Event
		var dialed queue.Queue[error]
		clients := make([]gevent.Task, echoClients)
		for i := range clients {
			// Placed on the hubs in turn; each dials from its own hub.
			clients[i] = gevent.Go(sctx, func(ctx context.Context) error {
				c, err := socket.Dial(ctx, "tcp", addr)
				_ = dialed.Put(ctx, err)
				if err != nil {
					return err
				}
				defer c.Close()
				if err := start.Wait(ctx); err != nil {
					return err
				}
				msg, buf := make([]byte, echoMsg), make([]byte, echoMsg)
				for remaining.Add(-1) >= 0 {
					if _, err := c.Write(msg); err != nil {
						return err
					}
					if _, err := io.ReadFull(c, buf); err != nil {
						return err
					}
				}
				return nil
			})
		}
		for range clients {
			if err, gerr := dialed.Get(ctx); err != nil || gerr != nil {
				srv.Close()
				return errors.Join(err, gerr)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		start.Set()
		if _, err := gevent.JoinAll(ctx, clients, gevent.RaiseError()); err != nil {
			return err
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		if err := srv.Shutdown(ctx); err != nil {
			return err
		}
		_, err := serving.Get(ctx)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}
