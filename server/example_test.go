package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

// A StreamServer runs each connection's handler in its own greenlet;
// Shutdown stops it gracefully.
func ExampleStreamServer() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		srv := &server.StreamServer{Handler: func(ctx context.Context, c net.Conn) {
			line, _ := bufio.NewReader(c).ReadString('\n')
			fmt.Fprintf(c, "echo: %s", line)
		}}
		l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		serving := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
			return srv.Serve(ctx, l), nil // parks this greenlet until the server stops
		})

		c, err := socket.Dial(ctx, "tcp", l.Addr().String())
		if err != nil {
			return err
		}
		fmt.Fprintln(c, "hello")
		reply, _ := io.ReadAll(c) // the server closes the connection when the handler returns
		c.Close()
		fmt.Print(string(reply))

		srv.Shutdown(ctx)
		err, _ = serving.Get(ctx)
		fmt.Println(err)
		return nil
	})
	// Output:
	// echo: hello
	// gevent/server: server closed
}

// A pool-limited server: at most two handlers run at once, and while both
// slots are taken the server does not accept.
func ExampleStreamServer_maxHandlers() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		running, most := 0, 0 // handlers of one hub share state without locks
		var pair event.Event  // the first handler waits for a second one
		srv := &server.StreamServer{MaxHandlers: 2, Handler: func(ctx context.Context, c net.Conn) {
			running++
			most = max(most, running)
			if running == 2 {
				pair.Set()
			}
			pair.Wait(ctx)
			running--
		}}
		l, _ := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(ctx, l), nil })
		var clients []gevent.Task
		for range 6 {
			clients = append(clients, gevent.Go(ctx, func(ctx context.Context) error {
				c, err := socket.Dial(ctx, "tcp", l.Addr().String())
				if err == nil {
					io.ReadAll(c)
					c.Close()
				}
				return err
			}))
		}
		gevent.JoinAll(ctx, clients)
		srv.Shutdown(ctx)
		fmt.Println("most handlers at once:", most)
		return nil
	})
	// Output: most handlers at once: 2
}

// A DatagramServer replies with WriteTo.
func ExampleDatagramServer() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		srv := &server.DatagramServer{}
		srv.Handler = func(ctx context.Context, data []byte, addr net.Addr) {
			srv.WriteTo(ctx, []byte(strings.ToUpper(string(data))), addr)
		}
		pc, err := socket.ListenPacket(ctx, "udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(ctx, pc), nil })

		c, err := socket.Dial(ctx, "udp", pc.LocalAddr().String())
		if err != nil {
			return err
		}
		c.Write([]byte("ping"))
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		c.Close()
		fmt.Println(string(buf[:n]))
		return srv.Shutdown(ctx)
	})
	// Output: PING
}

// HTTPHandler runs net/http handlers as greenlets on a hub: they can use
// the library's cooperative calls and share state without locks.
func ExampleHTTPHandler() {
	hub := gevent.NewHub()
	done := make(chan error)
	go func() { done <- hub.Serve(context.Background()) }()

	visits := 0 // only the hub's greenlets touch it
	h := server.HTTPHandler(hub.Context(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gevent.Sleep(r.Context(), time.Millisecond) // parks this request only
		visits++
		fmt.Fprintf(w, "in a greenlet: %v, visit %d", gevent.Current(r.Context()) != nil, visits)
	}))
	ts := httptest.NewServer(h)
	resp, err := http.Get(ts.URL)
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(body))
	}
	ts.Close()
	hub.Stop()
	<-done
	// Output: in a greenlet: true, visit 1
}

// A keep-alive handler learns that a shutdown began: OnShutdown wakes it
// while it waits for the next request, ShuttingDown tells it to make the
// reply in hand its last. Shutdown then returns as soon as that reply is
// written, with no handler killed.
func ExampleOnShutdown() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		var working event.Event // set by the handler once a request is in hand
		var finish event.Event  // the handler's work waits for it
		srv := &server.StreamServer{Handler: func(ctx context.Context, c net.Conn) {
			br := bufio.NewReader(c)
			for {
				stop := server.OnShutdown(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })
				_, err := br.Peek(1) // idle until the next request, or the shutdown
				if !stop() {
					c.SetReadDeadline(time.Time{})
				}
				if err != nil {
					return
				}
				line, _ := br.ReadString('\n')
				working.Set()
				finish.Wait(ctx) // the work the request asks for
				if server.ShuttingDown(ctx) {
					fmt.Fprintf(c, "%s (last reply: shutting down)\n", strings.TrimSpace(line))
					return
				}
				fmt.Fprintln(c, strings.TrimSpace(line))
			}
		}}
		l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(ctx, l), nil })

		c, err := socket.Dial(ctx, "tcp", l.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		fmt.Fprintln(c, "request 1")
		working.Wait(ctx) // the request is in progress when the shutdown begins
		shutdown := gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Shutdown(ctx), nil })
		gevent.Yield(ctx)
		finish.Set()
		reply, _ := io.ReadAll(c)
		fmt.Print(string(reply))
		err, _ = shutdown.Get(ctx)
		fmt.Println("Shutdown:", err)
		return nil
	})
	// Output:
	// request 1 (last reply: shutting down)
	// Shutdown: <nil>
}
