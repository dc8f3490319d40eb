package socket_test

import (
	"context"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/socket"
)

// The echo benchmarks measure bench/gevent/echo_server.py's op: one 64-byte
// request/response over loopback TCP with the server and 50 clients in one
// process (TCP_NODELAY is Go's default). b.N requests are shared by the
// clients; req/s is reported beside ns/op.

const (
	echoClients = 50
	echoMsgSize = 64
)

// BenchmarkEchoServer runs the server (an accept loop and a greenlet per
// connection reading up to 64 KiB and writing it back) and the 50 client
// greenlets on one hub.
func BenchmarkEchoServer(b *testing.B) {
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
					return nil
				}
				gevent.SpawnRaw(ctx, func(ctx context.Context) {
					defer c.Close()
					buf := make([]byte, 65536)
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
		})
		remaining := b.N
		conns := make([]net.Conn, echoClients)
		for i := range conns {
			if conns[i], err = socket.Dial(ctx, "tcp", ln.Addr().String()); err != nil {
				return err
			}
		}
		b.ResetTimer()
		start := time.Now()
		clients := make([]gevent.Task, echoClients)
		for i, c := range conns {
			clients[i] = gevent.Go(ctx, func(ctx context.Context) error {
				defer c.Close()
				msg := make([]byte, echoMsgSize)
				buf := make([]byte, echoMsgSize)
				for remaining > 0 {
					remaining-- // greenlets of one hub never race
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
		_, err = gevent.JoinAll(ctx, clients, gevent.RaiseError())
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEchoServerRawGo is the raw-Go baseline: a goroutine per server
// connection and 50 client goroutines on plain net, at GOMAXPROCS=1.
func BenchmarkEchoServerRawGo(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var served sync.WaitGroup
	served.Add(1)
	go func() {
		defer served.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			served.Add(1)
			go func() {
				defer served.Done()
				defer c.Close()
				buf := make([]byte, 65536)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()
	conns := make([]net.Conn, echoClients)
	for i := range conns {
		if conns[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
			b.Fatal(err)
		}
	}
	var mu sync.Mutex
	remaining := b.N
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		remaining--
		return remaining >= 0
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, echoClients)
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			msg := make([]byte, echoMsgSize)
			buf := make([]byte, echoMsgSize)
			for take() {
				if _, err := c.Write(msg); err != nil {
					errs <- err
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	b.StopTimer()
	ln.Close()
	served.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
