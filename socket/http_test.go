package socket_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/socket"
)

// httpServer starts a standard test server (plain goroutines) for handler
// and closes it when the test ends.
func httpServer(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

// 1,000 greenlets each make a request through one client at the same time,
// while a ticker greenlet keeps ticking: the server answers only once every
// request has arrived and the ticker has ticked after that, so the test
// completes only if all 1,000 are in flight together and none of them
// blocks the hub.
func TestHTTPClientConcurrentRequestsKeepHubResponsive(t *testing.T) {
	const n = 1000
	failAfter(t, 2*time.Minute)
	var arrived atomic.Int32
	allIn, release := make(chan struct{}), make(chan struct{})
	srv := httpServer(t, func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == n {
			close(allIn)
		}
		<-release
		fmt.Fprintf(w, "page %s", r.URL.Query().Get("i"))
	})
	geventtest.Run(t, func(ctx context.Context) error {
		client := socket.HTTPClient(ctx)
		var ticks, ticksAfterAllIn atomic.Int32
		ticker := gevent.Go(ctx, func(ctx context.Context) error {
			for {
				if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
					return nil // killed when the test is done
				}
				ticks.Add(1)
				select {
				case <-allIn:
					if ticksAfterAllIn.Add(1) == 3 {
						close(release)
					}
				default:
				}
			}
		})
		gs := make([]*gevent.Greenlet[string], n)
		for i := range gs {
			gs[i] = gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
				resp, err := client.Get(fmt.Sprintf("%s/?i=%d", srv.URL, i))
				if err != nil {
					return "", err
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				return string(b), err
			})
		}
		for i, g := range gs {
			body, err := g.Get(ctx)
			if err != nil {
				return fmt.Errorf("request %d: %w", i, err)
			}
			if want := fmt.Sprintf("page %d", i); body != want {
				t.Errorf("request %d: body %q, want %q", i, body, want)
			}
		}
		ticker.Kill(ctx)
		if ticksAfterAllIn.Load() < 3 {
			t.Errorf("the ticker ticked %d times after all requests arrived, want >= 3", ticksAfterAllIn.Load())
		}
		t.Logf("%d requests, ticker ticked %d times", n, ticks.Load())
		return nil
	})
}

// Reading a response body parks only the reading greenlet: the server
// sends the rest of the body only after another greenlet of the hub has run.
func TestHTTPClientBodyReadParksOnlyTheReader(t *testing.T) {
	failAfter(t, time.Minute)
	more := make(chan struct{})
	srv := httpServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "head,")
		w.(http.Flusher).Flush()
		<-more
		io.WriteString(w, "tail")
	})
	geventtest.Run(t, func(ctx context.Context) error {
		resp, err := socket.HTTPClient(ctx).Get(srv.URL)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		reader := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			b, err := io.ReadAll(resp.Body)
			return string(b), err
		})
		gevent.Yield(ctx) // the reader parks in Read (or would block the hub here)
		close(more)
		body, err := reader.Get(ctx)
		if err != nil || body != "head,tail" {
			t.Errorf("body = %q, %v; want head,tail", body, err)
		}
		return nil
	})
}

// blockingServer answers nothing (or, with sendHeaders, a first part of
// the body) until the test ends. arrived receives each request's arrival,
// aborted each request's context once the client has gone away.
func blockingServer(t *testing.T, sendHeaders bool) (srv *httptest.Server, arrived chan struct{}, aborted chan context.Context) {
	t.Helper()
	end := make(chan struct{})
	arrived = make(chan struct{}, 16)
	aborted = make(chan context.Context, 16)
	srv = httpServer(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		if sendHeaders {
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
			aborted <- r.Context()
		case <-end:
		}
	})
	t.Cleanup(func() { close(end) }) // runs before srv.Close (LIFO)
	return srv, arrived, aborted
}

// receive parks the calling greenlet until ch delivers (a Blocking worker
// waits instead of the hub).
func receive[T any](ctx context.Context, ch <-chan T) error {
	_, err := gevent.Blocking(ctx, func(context.Context) (T, error) { return <-ch, nil })
	return err
}

// A greenlet killed while it waits for a response returns at once with the
// kill's cause (in a *url.Error), and the request is aborted: the server
// sees the client go away.
func TestHTTPClientKilledRequest(t *testing.T) {
	failAfter(t, time.Minute)
	srv, arrived, aborted := blockingServer(t, false)
	geventtest.Run(t, func(ctx context.Context) error {
		client := socket.HTTPClient(ctx)
		g := gevent.Spawn(ctx, func(ctx context.Context) (*http.Response, error) {
			return client.Get(srv.URL) // no ctx: the running greenlet's kill applies
		})
		if err := receive(ctx, arrived); err != nil {
			return err
		}
		g.Kill(ctx)
		_, err := g.Get(ctx)
		var ue *url.Error
		if !errors.Is(err, gevent.ErrGreenletExit) || !errors.As(err, &ue) {
			t.Errorf("killed Get: err = %v, want a *url.Error wrapping the kill cause", err)
		}
		return receive(ctx, aborted)
	})
}

// A request made with a gevent.WithTimeout context, or by a client with a
// Timeout, ends when the timeout expires, with that timeout as the error.
func TestHTTPClientTimeouts(t *testing.T) {
	failAfter(t, time.Minute)
	srv, _, _ := blockingServer(t, false)
	geventtest.Run(t, func(ctx context.Context) error {
		client := socket.HTTPClient(ctx)
		tctx, cancel := gevent.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		req, err := http.NewRequestWithContext(tctx, "GET", srv.URL, nil)
		if err != nil {
			return err
		}
		_, err = client.Do(req)
		if cause := context.Cause(tctx); cause == nil || !errors.Is(err, cause) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Do with a gevent timeout: err = %v, want the timeout %v", err, cause)
		}

		client.Timeout = 20 * time.Millisecond
		_, err = client.Get(srv.URL)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("Get with Client.Timeout: err = %v, want a net.Error with Timeout()", err)
		}
		return nil
	})
}

// A greenlet killed while it reads a response body gets the kill's cause
// from Read; the request is aborted; its deferred Close still works.
func TestHTTPClientKilledBodyRead(t *testing.T) {
	failAfter(t, time.Minute)
	srv, _, aborted := blockingServer(t, true)
	geventtest.Run(t, func(ctx context.Context) error {
		client := socket.HTTPClient(ctx)
		var closeErr error
		var gotResponse event.Event
		g := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			resp, err := client.Get(srv.URL)
			if err != nil {
				return "", err
			}
			gotResponse.Set()
			defer func() { closeErr = resp.Body.Close() }()
			b, err := io.ReadAll(resp.Body)
			return string(b), err
		})
		// Kill g once it has its response: it is then in (or about to
		// park in) a body Read, which waits for bytes that never come.
		if err := gotResponse.Wait(ctx); err != nil {
			return err
		}
		g.Kill(ctx)
		body, err := g.Get(ctx)
		if !errors.Is(err, gevent.ErrGreenletExit) {
			t.Errorf("killed body read: %q, %v; want ErrGreenletExit", body, err)
		}
		if closeErr != nil {
			t.Errorf("deferred Body.Close after the kill = %v", closeErr)
		}
		return receive(ctx, aborted)
	})
}

// Without a hub, HTTPClient is a standard client.
func TestHTTPClientWithoutHub(t *testing.T) {
	srv := httpServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "plain") })
	resp, err := socket.HTTPClient(context.Background()).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "plain" {
		t.Errorf("body = %q, %v", b, err)
	}
}
