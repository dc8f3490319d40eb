// Command echo runs a StreamServer that echoes what it reads, and a load
// client in the same process: N client greenlets, each with its own
// connection, send M 64-byte requests each and wait for the echo. It prints
// the request rate and exits.
//
// By default it uses every core: a group of GOMAXPROCS hubs (gevent.RunGroup)
// whose server, given a spreading context (gevent.Spread), runs the
// handlers on every hub: Serve with this listener accepts on one hub and
// hands each connection to the hubs in turn (ListenAndServe with a fixed
// address would open one SO_REUSEPORT listener per hub on Linux instead).
// The client greenlets are spread over the hubs too. -hubs 1 runs
// everything on one hub, as gevent does.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

func main() {
	clients := flag.Int("clients", 50, "client greenlets (one connection each)")
	requests := flag.Int("requests", 200, "requests per client")
	hubs := flag.Int("hubs", 0, "hubs (one per core); 0: GOMAXPROCS")
	flag.Parse()

	err := gevent.RunGroup(context.Background(), *hubs, func(ctx context.Context) error {
		// Spread: the server serves on every hub of the group, and the
		// clients spawned with sctx are placed on the hubs in turn.
		sctx := gevent.Spread(ctx)
		l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &server.StreamServer{Handler: func(ctx context.Context, c net.Conn) {
			// When the server shuts down, stop reading: the echo in hand
			// is written, then io.Copy returns and the connection closes.
			defer server.OnShutdown(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })()
			io.Copy(c, c) // each Read and Write parks this handler only
		}}
		serving := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
			return srv.Serve(sctx, l), nil
		})
		fmt.Printf("echo: serving on %s\n", l.Addr())

		start := time.Now()
		var tasks []gevent.Task
		for range *clients {
			tasks = append(tasks, gevent.Spawn(sctx, func(ctx context.Context) (int, error) {
				return client(ctx, l.Addr().String(), *requests)
			}))
		}
		if _, err := gevent.JoinAll(ctx, tasks, gevent.RaiseError()); err != nil {
			return err
		}
		elapsed := time.Since(start)

		sctx, cancel := gevent.WithTimeout(ctx, time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return err
		}
		if err, _ := serving.Get(ctx); err != server.ErrServerClosed {
			return fmt.Errorf("serve: %v", err)
		}
		total := *clients * *requests
		fmt.Printf("echo: %d clients x %d requests = %d round trips in %v (%.0f req/s)\n",
			*clients, *requests, total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds())
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
}

// client sends n 64-byte messages, reading each echo back in full.
func client(ctx context.Context, addr string, n int) (int, error) {
	c, err := socket.Dial(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	msg := make([]byte, 64)
	buf := make([]byte, 64)
	for i := range n {
		msg[0] = byte(i)
		if _, err := c.Write(msg); err != nil {
			return i, err
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return i, err
		}
		if buf[0] != byte(i) {
			return i, fmt.Errorf("echo mismatch at request %d", i)
		}
	}
	return n, nil
}
