package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/pool"
	"github.com/gevent-go/gevent/queue"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

var quiet = log.New(io.Discard, "", 0)

// runHub runs body as the main greenlet of a new hub and fails the test on
// its error. Greenlet failures are collected and returned (the test decides
// whether any were expected).
func runHub(t *testing.T, body func(ctx context.Context) error) []error {
	t.Helper()
	var mu sync.Mutex
	var failures []error
	err := gevent.Run(context.Background(), body, gevent.WithErrorHandler(func(_ gevent.Task, err error) {
		mu.Lock()
		failures = append(failures, err)
		mu.Unlock()
	}))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	return failures
}

// serve starts srv on a new loopback listener in its own greenlet and
// returns the address and the greenlet (its value is Serve's error).
func serve(ctx context.Context, t *testing.T, srv *server.StreamServer) (string, *gevent.Greenlet[error]) {
	t.Helper()
	l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	g := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
		return srv.Serve(ctx, l), nil
	})
	return l.Addr().String(), g
}

func dial(ctx context.Context, t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := socket.Dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("Dial(%s): %v", addr, err)
	}
	return c
}

// readAll reads c to its end (the server closed it) and returns what came.
func readAll(t *testing.T, c net.Conn) []byte {
	t.Helper()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading until the server closes: %v", err)
	}
	return b
}

func TestConnClosedWhenHandlerReturns(t *testing.T) {
	runHub(t, func(ctx context.Context) error {
		srv := &server.StreamServer{Handler: func(ctx context.Context, c net.Conn) {
			c.Write([]byte("hello"))
		}}
		addr, sg := serve(ctx, t, srv)
		for range 3 {
			c := dial(ctx, t, addr)
			if got := readAll(t, c); string(got) != "hello" {
				t.Errorf("read %q, want %q then EOF", got, "hello")
			}
			c.Close()
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err, _ := sg.Get(ctx); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve after Close = %v, want ErrServerClosed", err)
		}
		return nil
	})
}

func TestErrServerClosed(t *testing.T) {
	runHub(t, func(ctx context.Context) error {
		srv := &server.StreamServer{Handler: func(context.Context, net.Conn) {}}
		_, sg := serve(ctx, t, srv)
		gevent.Yield(ctx) // Serve is accepting
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown = %v, want nil", err)
		}
		if err, _ := sg.Get(ctx); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve after Shutdown = %v, want ErrServerClosed", err)
		}
		// Serve and ListenAndServe on a closed server return at once and
		// close the listener they were given.
		l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		if err := srv.Serve(ctx, l); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve on a closed server = %v, want ErrServerClosed", err)
		}
		if _, err := socket.Dial(ctx, "tcp", l.Addr().String()); err == nil {
			t.Errorf("Dial to the listener given to a closed server succeeded, want refused")
		}
		srv.Addr = "127.0.0.1:0"
		if err := srv.ListenAndServe(ctx); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("ListenAndServe on a closed server = %v, want ErrServerClosed", err)
		}
		return nil
	})
}

func TestServeFromGoroutineWithHubContext(t *testing.T) {
	hub := gevent.NewHub()
	hubDone := make(chan error, 1)
	go func() { hubDone <- hub.Serve(context.Background()) }()
	defer func() {
		hub.Stop()
		if err := <-hubDone; err != nil {
			t.Errorf("hub.Serve = %v", err)
		}
	}()
	hctx := hub.Context()
	l, err := socket.Listen(hctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.StreamServer{Handler: func(ctx context.Context, c net.Conn) {
		if gevent.Current(ctx) == nil {
			c.Write([]byte("not a greenlet"))
			return
		}
		io.Copy(c, c)
	}}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(hctx, l) }() // blocks this goroutine
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("ping"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Errorf("echo = %q, %v; want \"ping\"", buf, err)
	}
	c.Close()
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := <-served; !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("Serve = %v, want ErrServerClosed", err)
	}
}

func TestShutdownUnderLoad(t *testing.T) {
	const fast, stuck = 4, 3
	runHub(t, func(ctx context.Context) error {
		started := queue.New[string](0)
		var finished, killed, deferred int // handlers share them without locks
		srv := &server.StreamServer{Handler: func(ctx context.Context, c net.Conn) {
			defer func() { deferred++ }()
			kind := make([]byte, 1)
			if _, err := io.ReadFull(c, kind); err != nil {
				t.Errorf("handler: reading its kind: %v", err)
				return
			}
			started.Put(ctx, string(kind))
			if kind[0] == 's' {
				// Stuck: never ends by itself.
				err := gevent.Sleep(ctx, time.Hour)
				if errors.Is(err, gevent.ErrGreenletExit) {
					killed++
				}
				return
			}
			// Fast: ends once the client says so, after Shutdown began.
			if _, err := io.ReadFull(c, kind); err != nil {
				t.Errorf("fast handler: %v", err)
				return
			}
			finished++
			c.Write([]byte("bye"))
		}}
		addr, sg := serve(ctx, t, srv)
		var fastConns, stuckConns []net.Conn
		for range fast {
			c := dial(ctx, t, addr)
			c.Write([]byte("f"))
			fastConns = append(fastConns, c)
		}
		for range stuck {
			c := dial(ctx, t, addr)
			c.Write([]byte("s"))
			stuckConns = append(stuckConns, c)
		}
		for range fast + stuck {
			if _, err := started.Get(ctx); err != nil {
				return err
			}
		}

		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		sd := gevent.Spawn(ctx, func(context.Context) (error, error) { return srv.Shutdown(sctx), nil })
		gevent.Yield(ctx) // Shutdown has closed the listener and waits

		if err, _ := sg.Get(ctx); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve during Shutdown = %v, want ErrServerClosed", err)
		}
		if c, err := socket.Dial(ctx, "tcp", addr); err == nil {
			c.Close()
			t.Errorf("Dial during Shutdown succeeded, want connection refused")
		}
		for _, c := range fastConns {
			c.Write([]byte("x"))
			if got := readAll(t, c); string(got) != "bye" {
				t.Errorf("fast client read %q, want \"bye\" then EOF", got)
			}
			c.Close()
		}
		if finished != fast {
			t.Errorf("%d fast handlers finished, want %d", finished, fast)
		}
		if sd.Ready() {
			t.Fatalf("Shutdown returned %v while handlers were still running", sd.Value())
		}
		cancel() // out of time: the stuck handlers are killed
		if err, _ := sd.Get(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Shutdown = %v, want context.Canceled", err)
		}
		if killed != stuck || deferred != fast+stuck {
			t.Errorf("killed = %d, deferred calls = %d; want %d and %d", killed, deferred, stuck, fast+stuck)
		}
		for _, c := range stuckConns {
			if got := readAll(t, c); len(got) != 0 {
				t.Errorf("stuck client read %q, want EOF", got)
			}
			c.Close()
		}
		return nil
	})
}

func TestCloseKillsHandlers(t *testing.T) {
	runHub(t, func(ctx context.Context) error {
		started := queue.New[struct{}](0)
		var errs []error
		srv := &server.StreamServer{Handler: func(ctx context.Context, c net.Conn) {
			started.Put(ctx, struct{}{})
			_, err := c.Read(make([]byte, 1))
			errs = append(errs, err)
		}}
		addr, sg := serve(ctx, t, srv)
		conns := []net.Conn{dial(ctx, t, addr), dial(ctx, t, addr)}
		for range conns {
			started.Get(ctx)
		}
		srv.Close()
		for _, c := range conns {
			if got := readAll(t, c); len(got) != 0 {
				t.Errorf("client read %q after Close, want EOF", got)
			}
			c.Close()
		}
		if err, _ := sg.Get(ctx); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve after Close = %v, want ErrServerClosed", err)
		}
		for len(errs) < len(conns) {
			gevent.Yield(ctx) // the killed handlers run their last step
		}
		for _, err := range errs {
			if err == nil {
				t.Errorf("handler's Read returned nil after Close")
			}
		}
		return nil
	})
}

func TestPoolLimitsHandlers(t *testing.T) {
	for _, tc := range []struct {
		name string
		srv  func() *server.StreamServer
	}{
		{"Pool", func() *server.StreamServer { return &server.StreamServer{Pool: pool.NewPool(2)} }},
		{"MaxHandlers", func() *server.StreamServer { return &server.StreamServer{MaxHandlers: 2} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runHub(t, func(ctx context.Context) error {
				started := queue.New[int](0)
				active, maxActive, n := 0, 0, 0
				srv := tc.srv()
				srv.Handler = func(ctx context.Context, c net.Conn) {
					active++
					n++
					maxActive = max(maxActive, active)
					started.Put(ctx, n)
					c.Read(make([]byte, 1)) // until the client says go
					active--
				}
				addr, _ := serve(ctx, t, srv)
				conns := []net.Conn{dial(ctx, t, addr), dial(ctx, t, addr), dial(ctx, t, addr)}
				started.Get(ctx)
				started.Get(ctx)
				// The third connection waits in the kernel's backlog: the
				// accept loop does not accept while the pool is full.
				gevent.Idle(ctx)
				if n != 2 || active != 2 {
					t.Errorf("with a full pool: %d handlers started, %d active; want 2 and 2", n, active)
				}
				conns[0].Write([]byte("x")) // the first handler ends: a slot frees
				if v, err := started.Get(ctx); err != nil || v != 3 {
					t.Errorf("after a slot freed: handler %d, %v; want the third", v, err)
				}
				for _, c := range conns[1:] {
					c.Write([]byte("x"))
				}
				for _, c := range conns {
					readAll(t, c)
					c.Close()
				}
				if maxActive != 2 {
					t.Errorf("at most %d handlers ran at once, want 2", maxActive)
				}
				return srv.Shutdown(ctx)
			})
		})
	}
}

func TestHandlerPanicClosesOnlyItsConn(t *testing.T) {
	failures := runHub(t, func(ctx context.Context) error {
		srv := &server.StreamServer{Handler: func(ctx context.Context, c net.Conn) {
			b := make([]byte, 1)
			for {
				if _, err := c.Read(b); err != nil {
					return
				}
				if b[0] == 'p' {
					panic("handler panic")
				}
				c.Write(b)
			}
		}}
		addr, _ := serve(ctx, t, srv)
		good, bad := dial(ctx, t, addr), dial(ctx, t, addr)
		echo := func(c net.Conn) {
			c.Write([]byte("a"))
			b := make([]byte, 1)
			if _, err := io.ReadFull(c, b); err != nil || b[0] != 'a' {
				t.Errorf("echo: %q, %v", b, err)
			}
		}
		echo(good)
		echo(bad)
		bad.Write([]byte("p"))
		if got := readAll(t, bad); len(got) != 0 {
			t.Errorf("panicking handler's client read %q, want EOF", got)
		}
		bad.Close()
		echo(good) // the other connection is untouched
		third := dial(ctx, t, addr)
		echo(third) // and the server still accepts
		good.Close()
		third.Close()
		return srv.Shutdown(ctx)
	})
	if len(failures) != 1 {
		t.Fatalf("hub got %d failure reports (%v), want 1", len(failures), failures)
	}
	var pe *gevent.PanicError
	if !errors.As(failures[0], &pe) || pe.Value != "handler panic" {
		t.Errorf("reported %v, want the handler's *PanicError", failures[0])
	}
}

func TestServeReturnsWhenKilled(t *testing.T) {
	runHub(t, func(ctx context.Context) error {
		srv := &server.StreamServer{Handler: func(context.Context, net.Conn) {}}
		addr, sg := serve(ctx, t, srv)
		gevent.Yield(ctx)
		sg.Kill(ctx)
		if !sg.Dead() {
			t.Fatalf("Serve's greenlet survived Kill")
		}
		if c, err := socket.Dial(ctx, "tcp", addr); err == nil {
			c.Close()
			t.Errorf("Dial after Serve's greenlet was killed succeeded: listener not closed")
		}
		return nil
	})
}

// fakeListener fails its first Accepts as scripted, then hands out one
// connection per nil entry, then waits until it is closed. The server
// drives it off the hub (it is not a TCP listener).
type fakeListener struct {
	script []error
	mu     sync.Mutex
	calls  []time.Time
	closed chan struct{}
	once   sync.Once
}

func (f *fakeListener) Accept() (net.Conn, error) {
	f.mu.Lock()
	f.calls = append(f.calls, time.Now())
	var err error
	step := len(f.calls) - 1
	if step < len(f.script) {
		err = f.script[step]
	}
	f.mu.Unlock()
	if step >= len(f.script) {
		<-f.closed
		return nil, net.ErrClosed
	}
	if err != nil {
		return nil, err
	}
	c1, c2 := net.Pipe()
	c2.Close()
	return c1, nil
}

func (f *fakeListener) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

func (f *fakeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

func TestAcceptBackoff(t *testing.T) {
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	fl := &fakeListener{
		script: []error{emfile, emfile, emfile, nil, emfile, emfile, nil},
		closed: make(chan struct{}),
	}
	var delays []time.Duration
	var mu sync.Mutex
	defer server.SetAcceptDelayHook(func(d time.Duration) {
		mu.Lock()
		delays = append(delays, d)
		mu.Unlock()
	})()
	var handled int
	runHub(t, func(ctx context.Context) error {
		done := event.Event{}
		srv := &server.StreamServer{ErrorLog: quiet, Handler: func(ctx context.Context, c net.Conn) {
			handled++
			if handled == 2 {
				done.Set()
			}
		}}
		sg := gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(ctx, fl), nil })
		if err := done.Wait(ctx); err != nil {
			return err
		}
		srv.Close()
		if err, _ := sg.Get(ctx); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
		return nil
	})
	ms := time.Millisecond
	want := []time.Duration{10 * ms, 20 * ms, 40 * ms, 10 * ms, 20 * ms}
	mu.Lock()
	defer mu.Unlock()
	if !equalDurations(delays, want) {
		t.Errorf("back-off delays = %v, want %v (doubling, reset by a successful accept)", delays, want)
	}
	// A sleep never ends early: each retry came at least its delay after
	// the failure before it.
	fl.mu.Lock()
	defer fl.mu.Unlock()
	for i, d := range []time.Duration{10 * ms, 20 * ms, 40 * ms} {
		if gap := fl.calls[i+1].Sub(fl.calls[i]); gap < d {
			t.Errorf("retry %d came %v after the failure, want >= %v", i+1, gap, d)
		}
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFatalAcceptError(t *testing.T) {
	ebadf := &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EBADF}
	fl := &fakeListener{script: []error{ebadf}, closed: make(chan struct{})}
	runHub(t, func(ctx context.Context) error {
		srv := &server.StreamServer{ErrorLog: quiet, Handler: func(context.Context, net.Conn) {}}
		if err := srv.Serve(ctx, fl); !errors.Is(err, syscall.EBADF) {
			t.Errorf("Serve = %v, want the fatal EBADF error", err)
		}
		select {
		case <-fl.closed:
		default:
			t.Errorf("listener not closed after a fatal error")
		}
		return nil
	})
}

func TestMaxDelayCap(t *testing.T) {
	// The delay doubles up to one second and stays there.
	var got []time.Duration
	d := time.Duration(0)
	for range 10 {
		d = server.Backoff(d)
		got = append(got, d)
	}
	if got[0] != 10*time.Millisecond || got[6] != 640*time.Millisecond || got[7] != time.Second || got[9] != time.Second {
		t.Errorf("delays = %v, want 10ms doubling to a 1s cap", got)
	}
}

func TestShutdownFromHandler(t *testing.T) {
	runHub(t, func(ctx context.Context) error {
		srv := &server.StreamServer{}
		srv.Handler = func(ctx context.Context, c net.Conn) {
			// Shutdown waits for the other handlers, not for its caller.
			err := srv.Shutdown(ctx)
			fmt.Fprintf(c, "shutdown: %v", err)
		}
		addr, sg := serve(ctx, t, srv)
		c := dial(ctx, t, addr)
		if got := string(readAll(t, c)); got != "shutdown: <nil>" {
			t.Errorf("handler read %q, want \"shutdown: <nil>\"", got)
		}
		c.Close()
		if err, _ := sg.Get(ctx); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
		return nil
	})
}
