package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

// aLongTimeAgo is a read deadline that wakes a parked Read at once.
var aLongTimeAgo = time.Unix(1, 0)

// keepAlive serves a line protocol on c: each request line gets the reply
// "re: <line>"; a request starting with "slow" is in-flight work: it calls
// slowWork before its reply. It is the pattern the package doc
// recommends for a handler that serves many requests on one connection:
// between two requests it waits for the next one in a way OnShutdown can
// interrupt, and once the server is shutting down it finishes the reply in
// hand, marked "bye", and returns. served counts the replies sent.
func keepAlive(ctx context.Context, c net.Conn, slowWork func(context.Context) error, served *int) {
	br := bufio.NewReader(c)
	for {
		// Idle: wait for the next request unless the shutdown begins.
		stop := server.OnShutdown(ctx, func() { c.SetReadDeadline(aLongTimeAgo) })
		_, err := br.Peek(1)
		if !stop() {
			c.SetReadDeadline(time.Time{}) // the hook ran (and has finished)
		}
		if err != nil {
			if server.ShuttingDown(ctx) {
				lingerClose(c)
			}
			return
		}
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if strings.HasPrefix(line, "slow") {
			if err := slowWork(ctx); err != nil {
				return
			}
		}
		reply := "re: " + line
		last := server.ShuttingDown(ctx)
		if last {
			reply = "bye " + reply
		}
		if _, err := io.WriteString(c, reply); err != nil {
			return
		}
		*served++
		if last {
			return
		}
	}
}

// lingerClose ends a connection on which no request is in progress without
// a reset: it sends FIN and drains what the client may have sent meanwhile
// until the client closes too (closing with unread data would send RST).
func lingerClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	io.Copy(io.Discard, c)
}

// clientKind is how a keep-alive client behaves once warmed up.
type clientKind int

const (
	chatty clientKind = iota // keeps sending request after request
	slow                     // sends one slow request and waits for its reply
	idle                     // sends nothing more, waits for the server
)

// clientResult is how one keep-alive client's connection ended.
type clientResult struct {
	replies int
	ending  string // "bye" or "eof" (closed between two replies)
	err     error  // anything else: a reset, a partial or wrong reply
}

// keepAliveClient sends requests on one connection, each after the reply to
// the previous one, until the server says bye or closes; it checks each
// reply. After warm replies it calls warmed once and behaves as its kind
// says.
func keepAliveClient(ctx context.Context, addr string, kind clientKind, warm int, warmed func()) clientResult {
	c, err := socket.Dial(ctx, "tcp", addr)
	if err != nil {
		return clientResult{err: err}
	}
	defer c.Close()
	br := bufio.NewReader(c)
	var r clientResult
	for i := 0; ; i++ {
		req := fmt.Sprintf("request %d\n", i)
		if r.replies == warm {
			warmed()
			switch kind {
			case slow:
				req = "slow " + req
			case idle:
				if b, err := br.ReadByte(); err != io.EOF {
					r.err = fmt.Errorf("idle client: read %q, %v; want io.EOF", b, err)
				} else {
					r.ending = "eof"
				}
				return r
			}
		}
		if _, err := io.WriteString(c, req); err != nil {
			r.err = fmt.Errorf("sending request %d: %w", i, err)
			return r
		}
		line, err := br.ReadString('\n')
		switch {
		case err == io.EOF && line == "":
			r.ending = "eof" // closed between two replies: not served, not cut
			return r
		case err != nil:
			r.err = fmt.Errorf("reply to request %d: %q, %w", i, line, err)
			return r
		case line == "re: "+req:
			r.replies++
		case line == "bye re: "+req:
			r.replies++
			r.ending = "bye"
			if b, err := br.ReadByte(); err != io.EOF {
				r.err = fmt.Errorf("after bye: read %q, %v; want io.EOF", b, err)
			}
			return r
		default:
			r.err = fmt.Errorf("reply to request %d = %q", i, line)
			return r
		}
	}
}

// TestShutdownKeepAliveClients is issue 10 item 14: with keep-alive clients
// (chatty ones sending request after request, slow ones whose request is
// being worked on when Shutdown begins, idle ones connected but silent),
// Shutdown ends every handler within its grace period: each finishes the
// reply in hand and closes. No reply is cut, no connection is reset, no
// handler has to be killed, every slow request gets its reply. (Without
// the shutdown signal, handlers ran until the deadline and were killed
// mid-exchange, resetting most connections.)
func TestShutdownKeepAliveClients(t *testing.T) {
	const nchatty, nslow, nidle, warm = 30, 10, 10, 3
	watchdog(t, 60*time.Second)
	runHub(t, func(ctx context.Context) error {
		var work, allWarm, allSlowIn event.Event
		// Shared by the greenlets of the hub without locks.
		served, handlers, warmed, slowIn := 0, 0, 0, 0
		slowWork := func(ctx context.Context) error {
			if slowIn++; slowIn == nslow {
				allSlowIn.Set()
			}
			return work.Wait(ctx)
		}
		srv := &server.StreamServer{Handler: func(ctx context.Context, c net.Conn) {
			handlers++
			keepAlive(ctx, c, slowWork, &served)
			handlers--
		}}
		addr, sg := serve(ctx, t, srv)
		var clients []*gevent.Greenlet[clientResult]
		kinds := map[clientKind]int{chatty: nchatty, slow: nslow, idle: nidle}
		for kind, n := range kinds {
			for range n {
				clients = append(clients, gevent.Spawn(ctx, func(ctx context.Context) (clientResult, error) {
					return keepAliveClient(ctx, addr, kind, warm, func() {
						if warmed++; warmed == nchatty+nslow+nidle {
							allWarm.Set()
						}
					}), nil
				}))
			}
		}
		if err := allWarm.Wait(ctx); err != nil {
			return err
		}
		if err := allSlowIn.Wait(ctx); err != nil { // in-flight work in progress
			return err
		}
		sctx, cancel := gevent.WithTimeout(ctx, 30*time.Second) // the grace period: never reached
		defer cancel()
		sd := gevent.Spawn(ctx, func(context.Context) (error, error) { return srv.Shutdown(sctx), nil })
		gevent.Yield(ctx) // Shutdown began: the listener is closed, the hooks ran
		work.Set()        // the in-flight work completes
		if err, _ := sd.Get(ctx); err != nil {
			t.Errorf("Shutdown = %v, want nil (every handler ended by itself)", err)
		}
		if handlers != 0 {
			t.Errorf("%d handlers still running after Shutdown", handlers)
		}
		if err, _ := sg.Get(ctx); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
		replies, byes, eofs := 0, 0, 0
		for i, g := range clients {
			r, _ := g.Get(ctx)
			if r.err != nil {
				reset := errors.Is(r.err, syscall.ECONNRESET) || errors.Is(r.err, syscall.EPIPE)
				t.Errorf("client %d (reset: %v): %v", i, reset, r.err)
			}
			replies += r.replies
			switch r.ending {
			case "bye":
				byes++
			case "eof":
				eofs++
			}
		}
		if replies != served {
			t.Errorf("clients got %d complete replies, the handlers sent %d", replies, served)
		}
		if byes < nslow || byes+eofs != len(clients) {
			t.Errorf("%d clients ended with a bye reply and %d with a clean close; want at least %d byes (the slow ones), %d in all",
				byes, eofs, nslow, len(clients))
		}
		t.Logf("%d replies; %d connections ended with a bye reply, %d with a clean close", replies, byes, eofs)
		return nil
	})
}

// TestOnShutdown pins OnShutdown and ShuttingDown: before, during and after
// the shutdown began, stop before and after, and Close as well as Shutdown.
func TestOnShutdown(t *testing.T) {
	for _, how := range []string{"Shutdown", "Close"} {
		t.Run(how, func(t *testing.T) {
			runHub(t, func(ctx context.Context) error {
				var inHandler event.Event
				var log []string // appended by the handler and the hooks, on the hub
				srv := &server.StreamServer{}
				srv.Handler = func(hctx context.Context, c net.Conn) {
					log = append(log, fmt.Sprint("shutting down: ", server.ShuttingDown(hctx)))
					server.OnShutdown(hctx, func() {
						if gevent.Current(hctx) != nil {
							log = append(log, "hook in a greenlet")
						}
						log = append(log, "hook 1")
					})
					stopped := server.OnShutdown(hctx, func() { log = append(log, "hook 2 (stopped)") })
					log = append(log, fmt.Sprint("stop: ", stopped()))
					// A greenlet spawned by the handler sees the server too.
					child := gevent.Spawn(hctx, func(cctx context.Context) (bool, error) {
						return server.ShuttingDown(cctx), nil
					})
					if v, _ := child.Get(hctx); v {
						log = append(log, "child: shutting down early")
					}
					inHandler.Set()
					c.Read(make([]byte, 1)) // until the hook or the kill
					log = append(log, fmt.Sprint("after: shutting down: ", server.ShuttingDown(hctx)))
					late := server.OnShutdown(hctx, func() { log = append(log, "late hook") })
					gevent.Yield(hctx) // the late hook runs on the hub, soon
					log = append(log, fmt.Sprint("late stop: ", late()))
				}
				addr, _ := serve(ctx, t, srv)
				c := dial(ctx, t, addr)
				defer c.Close()
				inHandler.Wait(ctx)
				if server.ShuttingDown(ctx) {
					t.Errorf("ShuttingDown outside a handler = true, want false")
				}
				if how == "Shutdown" {
					// The hook does not wake the handler; the client's
					// goodbye does.
					sd := gevent.Spawn(ctx, func(context.Context) (error, error) { return srv.Shutdown(ctx), nil })
					gevent.Yield(ctx)
					c.Write([]byte("x"))
					if err, _ := sd.Get(ctx); err != nil {
						t.Errorf("Shutdown = %v", err)
					}
				} else {
					srv.Close()
					readAll(t, c)
				}
				want := "shutting down: false|stop: true|hook 1|after: shutting down: true|late hook|late stop: false"
				if how == "Close" {
					// The handler is killed: its Read fails and its Yield
					// too, so the late hook has not run yet at stop.
					want = "shutting down: false|stop: true|hook 1|after: shutting down: true|late stop: true"
				}
				for gevent.Yield(ctx) == nil && len(log) < strings.Count(want, "|")+1 {
				}
				if got := strings.Join(log, "|"); got != want {
					t.Errorf("log = %s\nwant  %s", got, want)
				}
				return nil
			})
		})
	}
}

func TestOnShutdownMisuse(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func()
		want string
	}{
		{"no server", func() { server.OnShutdown(context.Background(), func() {}) },
			"gevent/server: OnShutdown needs a handler's context; this one belongs to no StreamServer or DatagramServer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if got := fmt.Sprint(recover()); got != tc.want {
					t.Errorf("panic = %q, want %q", got, tc.want)
				}
			}()
			tc.call()
		})
	}
}

// TestDatagramHandlerSeesShutdown: a DatagramServer's handlers get the
// signal too.
func TestDatagramHandlerSeesShutdown(t *testing.T) {
	runHub(t, func(ctx context.Context) error {
		var inHandler, hooked event.Event
		srv := &server.DatagramServer{}
		var before, after bool
		srv.Handler = func(ctx context.Context, data []byte, addr net.Addr) {
			before = server.ShuttingDown(ctx)
			defer server.OnShutdown(ctx, hooked.Set)()
			inHandler.Set()
			hooked.Wait(ctx)
			after = server.ShuttingDown(ctx)
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
		defer c.Close()
		c.Write([]byte("x"))
		inHandler.Wait(ctx)
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown = %v, want nil (the handler ended when told)", err)
		}
		if before || !after {
			t.Errorf("ShuttingDown in the handler: %v before, %v after the shutdown began; want false, true", before, after)
		}
		return nil
	})
}
