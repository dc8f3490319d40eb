package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/server"
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
