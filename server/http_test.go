package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

// startHub serves a hub on a new goroutine until the test ends. Greenlet
// failures are sent to failures when it is not nil.
func startHub(t *testing.T, failures chan<- error) *gevent.Hub {
	t.Helper()
	hub := gevent.NewHub(gevent.WithErrorHandler(func(_ gevent.Task, err error) {
		if failures != nil {
			failures <- err
		} else {
			t.Errorf("greenlet failed: %v", err)
		}
	}))
	done := make(chan error, 1)
	go func() { done <- hub.Serve(context.Background()) }()
	t.Cleanup(func() {
		hub.Stop()
		if err := <-done; err != nil {
			t.Errorf("hub.Serve = %v", err)
		}
	})
	return hub
}

// startHTTP serves h through HTTPHandler on hub with httptest.
func startHTTP(t *testing.T, hub *gevent.Hub, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(server.HTTPHandler(hub.Context(), h))
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("GET %s: reading the body: %v", url, err)
	}
	return string(b)
}

func TestHTTPHandlerRunsInGreenlet(t *testing.T) {
	hub := startHub(t, nil)
	ts := startHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		g := gevent.Current(ctx)
		_, hasServer := ctx.Value(http.ServerContextKey).(*http.Server)
		fmt.Fprintf(w, "greenlet=%v name=%s server=%v", g != nil, g.Name(), hasServer)
	}))
	if got, want := get(t, ts.URL), "greenlet=true name=server.http server=true"; got != want {
		t.Errorf("GET = %q, want %q", got, want)
	}
}

func TestHTTPCooperativeHandlers(t *testing.T) {
	// K requests are all inside their handlers at once, which is only
	// possible if a handler that waits (here in gevent.Sleep) lets the
	// others run on the same hub.
	const k = 8
	hub := startHub(t, nil)
	inside, maxInside := 0, 0 // shared by the handlers without locks
	ts := startHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inside++
		maxInside = max(maxInside, inside)
		for maxInside < k {
			if err := gevent.Sleep(r.Context(), time.Millisecond); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
		}
		inside--
		io.WriteString(w, "ok")
	}))
	var wg sync.WaitGroup
	for range k {
		wg.Go(func() {
			if got := get(t, ts.URL); got != "ok" {
				t.Errorf("GET = %q, want ok", got)
			}
		})
	}
	wg.Wait()
}

func TestHTTPHandlersShareStateWithoutLocks(t *testing.T) {
	const clients, requests = 8, 25
	hub := startHub(t, nil)
	counter := 0
	ts := startHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/count" {
			fmt.Fprint(w, counter)
			return
		}
		counter++ // no lock: handlers of one hub never run at once
		gevent.Yield(r.Context())
		counter++
		io.WriteString(w, "ok")
	}))
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for range requests {
				get(t, ts.URL+"/inc")
			}
		})
	}
	wg.Wait()
	if got, want := get(t, ts.URL+"/count"), strconv.Itoa(2*clients*requests); got != want {
		t.Errorf("counter = %s, want %s", got, want)
	}
}

func TestHTTPBodyAndLargeResponse(t *testing.T) {
	hub := startHub(t, nil)
	ts := startHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(http.StatusCreated)
		for range 4 {
			w.Write(b)
			w.(http.Flusher).Flush()
		}
	}))
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
	resp, err := http.Post(ts.URL, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || !bytes.Equal(got, bytes.Repeat(body, 4)) {
		t.Errorf("POST: status %d, %d bytes; want 201 and %d bytes", resp.StatusCode, len(got), 4*len(body))
	}
}

func TestHTTPRequestCancelKillsGreenlet(t *testing.T) {
	hub := startHub(t, nil)
	entered := make(chan struct{})
	result := make(chan error, 1)
	ts := startHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered) // buffered-free: the test goroutine is receiving
		var never event.Event
		result <- never.Wait(r.Context())
	}))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL, nil)
	go func() {
		<-entered
		cancel()
	}()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Errorf("cancelled request succeeded")
	}
	if err := <-result; !errors.Is(err, gevent.ErrGreenletExit) {
		t.Errorf("handler's wait = %v, want ErrGreenletExit (killed when the request was cancelled)", err)
	}
}

func TestHTTPHandlerPanic(t *testing.T) {
	failures := make(chan error, 1)
	hub := startHub(t, failures)
	ts := startHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		io.WriteString(w, "fine")
	}))
	ts.Config.ErrorLog = quiet
	if resp, err := http.Get(ts.URL + "/panic"); err == nil {
		resp.Body.Close()
		t.Errorf("GET /panic succeeded with %s, want the connection aborted", resp.Status)
	}
	var pe *gevent.PanicError
	if err := <-failures; !errors.As(err, &pe) || pe.Value != "boom" {
		t.Errorf("reported %v, want the handler's *PanicError", err)
	} else if !strings.Contains(string(pe.Stack), "TestHTTPHandlerPanic.func1") {
		t.Errorf("the report's stack does not show the panicking handler:\n%s", pe.Stack)
	}
	if got := get(t, ts.URL+"/ok"); got != "fine" {
		t.Errorf("GET after a panic = %q, want fine", got)
	}
}

func TestHTTPHubStopped(t *testing.T) {
	// A greenlet spawned on a closed hub fails with ErrHubClosed.
	hub := gevent.NewHub(gevent.WithErrorHandler(func(gevent.Task, error) {}))
	done := make(chan error, 1)
	go func() { done <- hub.Serve(context.Background()) }()
	hub.Stop()
	<-done
	ts := httptest.NewServer(server.HTTPHandler(hub.Context(), http.NotFoundHandler()))
	defer ts.Close()
	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status = %d with a stopped hub, want 503", resp.StatusCode)
	}
}

func TestServeHTTPInRun(t *testing.T) {
	runHub(t, func(ctx context.Context) error {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		hits := 0
		srv := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
			return server.ServeHTTP(ctx, l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits++
				gevent.Sleep(r.Context(), time.Millisecond)
				fmt.Fprintf(w, "hit %d", hits)
			})), nil
		})
		// The client runs off the hub; the main greenlet parks meanwhile.
		body, err := gevent.Blocking(ctx, func(context.Context) (string, error) {
			resp, err := http.Get("http://" + l.Addr().String())
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			return string(b), err
		})
		if err != nil || body != "hit 1" {
			t.Errorf("GET = %q, %v; want \"hit 1\"", body, err)
		}
		http.DefaultClient.CloseIdleConnections()
		srv.Kill(ctx)
		if err := srv.Value(); err != nil && !errors.Is(err, gevent.ErrGreenletExit) {
			t.Errorf("ServeHTTP = %v", err)
		}
		if !srv.Dead() {
			t.Errorf("ServeHTTP's greenlet survived Kill")
		}
		if _, err := gevent.Blocking(ctx, func(context.Context) (*http.Response, error) {
			return http.Get("http://" + l.Addr().String())
		}); err == nil {
			// (the response is leaked: the test has failed anyway)
			t.Errorf("GET after ServeHTTP stopped succeeded, want an error")
		}
		return nil
	})
}

// watchdog fails the whole test binary, with every goroutine's stack, if
// the test has not finished after d: a case that used to hang (a frozen hub
// cannot even run the test's cleanup) fails instead of hanging CI.
func watchdog(t *testing.T, d time.Duration) {
	t.Helper()
	name := t.Name()
	timer := time.AfterFunc(d, func() {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		fmt.Fprintf(os.Stderr, "%s\n", buf)
		panic(fmt.Sprintf("%s: still running after %v: something hangs (stacks above)", name, d))
	})
	t.Cleanup(func() { timer.Stop() })
}

// hubAlive checks that hub still runs greenlets: one spawned from this
// goroutine ends and reports back.
func hubAlive(t *testing.T, hub *gevent.Hub) {
	t.Helper()
	g := gevent.Spawn(hub.Context(), func(ctx context.Context) (int, error) {
		if err := gevent.Yield(ctx); err != nil {
			return 0, err
		}
		return 42, nil
	})
	if v, err := g.Get(context.Background()); v != 42 || err != nil {
		t.Errorf("a greenlet spawned after the late calls: Get = %v, %v; want 42, nil", v, err)
	}
}

// TestHTTPLateCallsFailAtOnce is issue 10 item 3: a child greenlet that uses
// the ResponseWriter or the body after its handler returned gets an error
// at once (it used to park for ever, and a second late call froze the hub).
func TestHTTPLateCallsFailAtOnce(t *testing.T) {
	watchdog(t, 20*time.Second)
	hub := startHub(t, nil)
	var later event.Event
	type late struct {
		name string
		err  error
	}
	results := make(chan late, 16)
	ts := startHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Two children, so that two late calls are in progress at once.
		for child := range 2 {
			gevent.Go(r.Context(), func(ctx context.Context) error {
				later.Wait(context.WithoutCancel(ctx))
				_, err := w.Write([]byte("late"))
				results <- late{fmt.Sprint(child, " Write"), err}
				_, err = r.Body.Read(make([]byte, 1))
				results <- late{fmt.Sprint(child, " Body.Read"), err}
				err = http.NewResponseController(w).Flush()
				results <- late{fmt.Sprint(child, " Flush"), err}
				results <- late{fmt.Sprint(child, " Body.Close"), r.Body.Close()}
				_, _, err = http.NewResponseController(w).Hijack()
				results <- late{fmt.Sprint(child, " Hijack"), err}
				err = http.NewResponseController(w).SetWriteDeadline(time.Now())
				results <- late{fmt.Sprint(child, " SetWriteDeadline"), err}
				w.Header().Set("X-Late", "1") // must not touch net/http's map
				w.WriteHeader(http.StatusTeapot)
				return nil
			})
		}
		io.WriteString(w, "early")
	}))
	resp, err := http.Post(ts.URL, "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "early" || resp.StatusCode != 200 {
		t.Fatalf("POST = %d %q, %v; want 200 \"early\"", resp.StatusCode, b, err)
	}
	later.Set() // the handler has returned: the children's calls are late
	for range 12 {
		r := <-results
		switch {
		case r.name[2:] == "SetWriteDeadline":
			if !errors.Is(r.err, http.ErrNotSupported) {
				t.Errorf("child %s after the handler returned = %v, want http.ErrNotSupported", r.name, r.err)
			}
			continue
		case r.name[2:] == "Body.Close":
			if r.err != nil {
				t.Errorf("child %s after the handler returned = %v, want nil (net/http closed it)", r.name, r.err)
			}
		case !errors.Is(r.err, net.ErrClosed):
			t.Errorf("child %s after the handler returned = %v, want an error wrapping net.ErrClosed", r.name, r.err)
		}
		if r.name[2:] == "Body.Read" && !errors.Is(r.err, http.ErrBodyReadAfterClose) {
			t.Errorf("child %s after the handler returned = %v, want also http.ErrBodyReadAfterClose", r.name, r.err)
		}
	}
	hubAlive(t, hub)
}

// TestHTTPClientGoneWhileChildStreams is issue 10 item 3: the client leaves
// while a child greenlet streams the response; the handler, which waits for
// the child, is killed, and the child's next write fails at once instead of
// parking for ever.
func TestHTTPClientGoneWhileChildStreams(t *testing.T) {
	watchdog(t, 20*time.Second)
	hub := startHub(t, nil)
	var resume event.Event
	handlerDone := make(chan error, 1)
	streamErr := make(chan error, 1)
	ts := startHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		child := gevent.Go(r.Context(), func(ctx context.Context) error {
			chunk := bytes.Repeat([]byte("x"), 1024)
			for i := 0; ; i++ {
				if i == 4 {
					// The client has read the first chunks; streaming
					// resumes once it has gone and the handler ended.
					resume.Wait(context.WithoutCancel(ctx))
				}
				if _, err := w.Write(chunk); err != nil {
					streamErr <- err
					return nil
				}
				if err := http.NewResponseController(w).Flush(); err != nil {
					streamErr <- err
					return nil
				}
			}
		})
		handlerDone <- child.Join(r.Context()) // killed when the client goes
	}))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 4096)); err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	cancel() // the client goes away mid-stream
	resp.Body.Close()
	if err := <-handlerDone; !errors.Is(err, gevent.ErrGreenletExit) {
		t.Errorf("handler's Join = %v, want ErrGreenletExit (killed when the client went)", err)
	}
	resume.Set()
	if err := <-streamErr; !errors.Is(err, net.ErrClosed) {
		t.Errorf("the child's write after its handler ended = %v, want an error wrapping net.ErrClosed", err)
	}
	hubAlive(t, hub)
}

// syncBuffer is a bytes.Buffer safe for a logger written from net/http's
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHTTPErrAbortHandlerIsQuiet is issue 10 item 13: panic(ErrAbortHandler)
// aborts the response as net/http does, with no report and no stack.
func TestHTTPErrAbortHandlerIsQuiet(t *testing.T) {
	failures := make(chan error, 1)
	hub := startHub(t, failures)
	ts := startHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/abort" {
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		io.WriteString(w, "fine")
	}))
	var logged syncBuffer
	ts.Config.ErrorLog = log.New(&logged, "", 0)
	resp, err := http.Get(ts.URL + "/abort")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Errorf("GET /abort read a complete response, want the connection aborted")
	}
	if got := get(t, ts.URL+"/ok"); got != "fine" {
		t.Errorf("GET after an abort = %q, want fine", got)
	}
	// A report would have been made when the greenlet ended, before the
	// connection was aborted.
	select {
	case err := <-failures:
		t.Errorf("ErrAbortHandler was reported to the hub: %v", err)
	default:
	}
	if s := logged.String(); s != "" {
		t.Errorf("net/http logged %q for an ErrAbortHandler panic, want nothing", s)
	}
}

// TestHTTPWriteFromHubCallbackPanics: a hub callback must not wait for the
// net/http goroutine (that would block the hub): the call panics instead.
func TestHTTPWriteFromHubCallbackPanics(t *testing.T) {
	watchdog(t, 20*time.Second)
	hub := startHub(t, nil)
	recovered := make(chan any, 1)
	ts := startHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		child := gevent.Go(r.Context(), func(context.Context) error { return nil })
		child.OnReady(func() { // runs on the hub, outside any greenlet
			defer func() { recovered <- recover() }()
			w.Write([]byte("from a callback"))
		})
		child.Join(r.Context())
		io.WriteString(w, "ok")
	}))
	if got := get(t, ts.URL); got != "ok" {
		t.Errorf("GET = %q, want ok", got)
	}
	if v, _ := (<-recovered).(string); !strings.HasPrefix(v, "gevent: ") {
		t.Errorf("Write from a hub callback: recovered %q, want a gevent: panic", v)
	}
}

// startServeHTTP runs server.ServeHTTP on a loopback listener from a plain
// goroutine with hub's context, until the test ends; it returns the address.
func startServeHTTP(t *testing.T, hub *gevent.Hub, h http.Handler, configure ...func(*http.Server)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(hub.Context())
	done := make(chan error, 1)
	go func() { done <- server.ServeHTTP(ctx, l, h, configure...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("ServeHTTP = %v, want context.Canceled", err)
		}
		http.DefaultClient.CloseIdleConnections()
	})
	return l.Addr().String()
}

// TestServeHTTPDefaultsAndConfigure pins ServeHTTP's documented defaults and
// shows that a configure function can set any field and wrap the handler.
func TestServeHTTPDefaultsAndConfigure(t *testing.T) {
	hub := startHub(t, nil)
	var seen http.Server // the fields as the configure function got them
	var mu sync.Mutex
	conns := 0
	addr := startServeHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}), func(hs *http.Server) {
		seen.ReadHeaderTimeout, seen.IdleTimeout = hs.ReadHeaderTimeout, hs.IdleTimeout
		seen.ReadTimeout, seen.WriteTimeout, seen.Handler = hs.ReadTimeout, hs.WriteTimeout, hs.Handler
		hs.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				mu.Lock()
				conns++
				mu.Unlock()
			}
		}
		inner := hs.Handler
		hs.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Middleware", "yes") // on net/http's goroutine
			inner.ServeHTTP(w, r)
		})
	}, func(hs *http.Server) { hs.IdleTimeout = time.Minute })
	resp, err := http.Get("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" || resp.Header.Get("X-Middleware") != "yes" {
		t.Errorf("GET = %q, X-Middleware %q; want \"ok\" through the configured middleware", b, resp.Header.Get("X-Middleware"))
	}
	if seen.ReadHeaderTimeout != 10*time.Second || seen.IdleTimeout != 2*time.Minute ||
		seen.ReadTimeout != 0 || seen.WriteTimeout != 0 || seen.Handler == nil {
		t.Errorf("configure got ReadHeaderTimeout %v, IdleTimeout %v, ReadTimeout %v, WriteTimeout %v, Handler %v; "+
			"want 10s, 2m, 0, 0 and the adapter", seen.ReadHeaderTimeout, seen.IdleTimeout, seen.ReadTimeout, seen.WriteTimeout, seen.Handler)
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 {
		t.Errorf("the configured ConnState saw %d new connections, want 1", conns)
	}
}

// TestServeHTTPCutsOffTricklingClients is issue 10 item 4: clients that
// trickle a request header byte by byte (slowloris) are disconnected by
// ServeHTTP's default read-header timeout (shortened here; 10s in
// production) instead of being held open for ever.
func TestServeHTTPCutsOffTricklingClients(t *testing.T) {
	const clients = 5
	// A cleanup, registered before the server's: it runs after the server stopped.
	t.Cleanup(server.SetHTTPDefaults(200*time.Millisecond, 200*time.Millisecond))
	hub := startHub(t, nil)
	addr := startServeHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a trickling client's request reached the handler")
	}))
	var wg sync.WaitGroup
	for range clients {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		stop := make(chan struct{})
		// The trickle: a byte every 10ms, which would reset a plain idle
		// timeout each time, until the server hangs up.
		wg.Go(func() {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			req := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 1<<16)
			for i := 0; i < len(req); i++ {
				if _, err := c.Write([]byte{req[i]}); err != nil {
					return
				}
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		})
		wg.Go(func() {
			defer close(stop)
			// Generous: the server must hang up long before.
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			// net/http may answer 408 Request Timeout before it hangs
			// up; the connection must end either way (EOF or reset).
			if _, err := io.ReadAll(c); errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("a trickling client was still connected after 10s, want it cut off by the read-header timeout")
			}
		})
	}
	wg.Wait()
}

// TestServeHTTPClosesIdleKeepAlive: a keep-alive connection left idle after
// a response is closed by ServeHTTP's default idle timeout (shortened here;
// 2m in production).
func TestServeHTTPClosesIdleKeepAlive(t *testing.T) {
	t.Cleanup(server.SetHTTPDefaults(time.Hour, 200*time.Millisecond)) // runs after the server's cleanup
	hub := startHub(t, nil)
	addr := startServeHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("idle keep-alive connection: read = %v, want io.EOF (closed by the idle timeout)", err)
	}
}

func TestHTTPHijack(t *testing.T) {
	hub := startHub(t, nil)
	ts := startHTTP(t, hub, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		c := socket.WrapConn(r.Context(), raw)
		defer c.Close()
		if brw.Reader.Buffered() != 0 {
			t.Errorf("hijacked reader holds %d unread bytes, want 0", brw.Reader.Buffered())
		}
		gevent.Yield(r.Context()) // the hub runs others while this handler owns the conn
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
	}))
	if got := get(t, ts.URL); got != "hijacked" {
		t.Errorf("GET = %q, want hijacked", got)
	}
}

// panickyWriter is a ResponseWriter whose Write panics, as a broken
// middleware's might, on the net/http goroutine.
type panickyWriter struct{ http.ResponseWriter }

func (panickyWriter) Write([]byte) (int, error) { panic("writer broke") }

// TestHTTPCallPanicsOnNetHTTPGoroutine: when a call panics on the net/http
// goroutine, that goroutine leaves; the greenlets whose calls were queued
// behind it get an error instead of waiting for ever.
func TestHTTPCallPanicsOnNetHTTPGoroutine(t *testing.T) {
	watchdog(t, 20*time.Second)
	hub := startHub(t, nil)
	writes := make(chan error, 2)
	adapter := server.HTTPHandler(hub.Context(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		child := gevent.Go(r.Context(), func(context.Context) error {
			_, err := w.Write([]byte("child"))
			writes <- err
			return nil
		})
		_, err := w.Write([]byte("handler"))
		writes <- err
		child.Join(context.WithoutCancel(r.Context()))
	}))
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		adapter.ServeHTTP(panickyWriter{w}, r)
	}))
	ts.Config.ErrorLog = quiet // net/http logs the panic
	ts.Start()
	defer ts.Close()
	if resp, err := http.Get(ts.URL); err == nil {
		resp.Body.Close()
		t.Errorf("GET succeeded with %s, want the connection aborted", resp.Status)
	}
	for range 2 {
		if err := <-writes; !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write = %v, want an error wrapping net.ErrClosed", err)
		}
	}
	hubAlive(t, hub)
}

// TestServeHTTPGracefulShutdown: a configure function keeps the
// *http.Server; its Shutdown makes ServeHTTP return http.ErrServerClosed
// and lets the request in progress finish.
func TestServeHTTPGracefulShutdown(t *testing.T) {
	watchdog(t, 20*time.Second)
	hub := startHub(t, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var inHandler, finish event.Event
	hsc := make(chan *http.Server, 1)
	served := make(chan error, 1)
	go func() {
		served <- server.ServeHTTP(hub.Context(), l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inHandler.Set()
			finish.Wait(r.Context())
			io.WriteString(w, "finished")
		}), func(hs *http.Server) { hsc <- hs })
	}()
	hs := <-hsc
	body := make(chan string, 1)
	go func() { body <- get(t, "http://"+l.Addr().String()) }()
	inHandler.Wait(context.Background())
	shutdown := make(chan error, 1)
	go func() { shutdown <- hs.Shutdown(context.Background()) }()
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("ServeHTTP after Shutdown = %v, want http.ErrServerClosed", err)
	}
	finish.Set()
	if got := <-body; got != "finished" {
		t.Errorf("the request in progress got %q, want finished", got)
	}
	if err := <-shutdown; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}
