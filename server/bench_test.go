package server_test

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

// The echo_server row of bench/gevent (echo_server.py): a stream server on
// 127.0.0.1 echoing with a 64 KiB read buffer, 50 clients in the same
// process, each on its own connection writing 64 bytes and reading them
// back. One op is one request/response; req/s is reported too. Compare at
// -cpu 1 (gevent runs on one thread).
const (
	echoClients = 50
	echoMsg     = 64
)

func BenchmarkEchoServerStream(b *testing.B) {
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		srv := &server.StreamServer{Handler: func(ctx context.Context, c net.Conn) {
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
		l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(ctx, l), nil })
		conns := make([]net.Conn, echoClients)
		for i := range conns {
			if conns[i], err = socket.Dial(ctx, "tcp", l.Addr().String()); err != nil {
				return err
			}
		}
		remaining := b.N // shared by the client greenlets without locks
		b.ReportAllocs()
		b.ResetTimer()
		clients := make([]gevent.Task, len(conns))
		for i, c := range conns {
			clients[i] = gevent.Go(ctx, func(ctx context.Context) error {
				msg, buf := make([]byte, echoMsg), make([]byte, echoMsg)
				for remaining > 0 {
					remaining--
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
		if _, err := gevent.JoinAll(ctx, clients, gevent.RaiseError()); err != nil {
			return err
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		for _, c := range conns {
			c.Close()
		}
		return srv.Shutdown(ctx)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEchoServerStreamRawGo is the baseline: a goroutine per
// connection on each side, the standard library's net package.
func BenchmarkEchoServerStreamRawGo(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var handlers sync.WaitGroup
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			handlers.Go(func() {
				defer c.Close()
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
			})
		}
	}()
	conns := make([]net.Conn, echoClients)
	for i := range conns {
		if conns[i], err = net.Dial("tcp", l.Addr().String()); err != nil {
			b.Fatal(err)
		}
	}
	var remaining atomic.Int64
	remaining.Store(int64(b.N))
	b.ReportAllocs()
	b.ResetTimer()
	var clients sync.WaitGroup
	for _, c := range conns {
		clients.Go(func() {
			msg, buf := make([]byte, echoMsg), make([]byte, echoMsg)
			for remaining.Add(-1) >= 0 {
				if _, err := c.Write(msg); err != nil {
					b.Error(err)
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	clients.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	for _, c := range conns {
		c.Close()
	}
	l.Close()
	handlers.Wait()
}
