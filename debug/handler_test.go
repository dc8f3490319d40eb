package debug_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/debug"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/queue"
)

// servedHub serves a hub named name with n greenlets parked on an Event
// ("ev-<i>") and n on a queue ("q-<i>") until the test ends.
func servedHub(t *testing.T, name string, n int) *gevent.Hub {
	t.Helper()
	h := gevent.NewHub(gevent.WithHubName(name))
	var ev event.Event
	q := queue.New[int](0)
	var parked atomic.Int64
	gevent.Go(h.Context(), func(ctx context.Context) error {
		for i := range n {
			gevent.Go(ctx, ev.Wait, gevent.WithName("ev-"+itoa(i)))
			gevent.Go(ctx, func(ctx context.Context) error { _, err := q.Get(ctx); return err }, gevent.WithName("q-"+itoa(i)))
		}
		gevent.Sleep(ctx, 0)
		parked.Store(1)
		return ev.Wait(ctx)
	}, gevent.WithName("spawner"))
	done := make(chan error, 1)
	go func() { done <- h.Serve(context.Background()) }()
	t.Cleanup(func() {
		ev.Set()
		h.Stop()
		<-done
	})
	deadline := time.Now().Add(10 * time.Second)
	for parked.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("greenlets never parked")
		}
		runtime.Gosched()
	}
	return h
}

func itoa(i int) string { return strconv.Itoa(i) }

func get(t *testing.T, srv *httptest.Server, query string) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + "/debug/gevent/" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestHandler(t *testing.T) {
	servedHub(t, "handler-hub", 500)
	mux := http.NewServeMux()
	mux.Handle("/debug/gevent/", debug.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	code, text := get(t, srv, "?hub=handler-hub")
	if code != 200 || !strings.Contains(text, "hub handler-hub #") || !strings.Contains(text, "1001 greenlets") {
		t.Fatalf("text: %d\n%.500s", code, text)
	}
	if n := strings.Count(text, "parked on queue.get"); n != 500 {
		t.Errorf("text shows %d queue getters, want 500", n)
	}

	code, js := get(t, srv, "?hub=handler-hub&format=json")
	var s debug.Snapshot
	if err := json.Unmarshal([]byte(js), &s); code != 200 || err != nil {
		t.Fatalf("json: %d %v", code, err)
	}
	if len(s.Hubs) != 1 || len(s.Hubs[0].Greenlets) != 1001 || !s.Hubs[0].Responded {
		t.Fatalf("json: %d hubs, want handler-hub with 1001 greenlets", len(s.Hubs))
	}

	for _, c := range []struct {
		query string
		want  int
	}{
		{"?hub=handler-hub&format=json&wait=queue.get", 500},
		{"?hub=handler-hub&format=json&wait=event", 501},
		{"?hub=handler-hub&format=json&state=parked&name=ev-1", 111}, // ev-1, ev-10..19, ev-100..199
		{"?hub=handler-hub&format=json&state=running", 0},
		{"?hub=no-such-hub&format=json", -1},
	} {
		code, js := get(t, srv, c.query)
		var s debug.Snapshot
		if err := json.Unmarshal([]byte(js), &s); code != 200 || err != nil {
			t.Fatalf("%s: %d %v", c.query, code, err)
		}
		if c.want < 0 {
			if len(s.Hubs) != 0 {
				t.Errorf("%s: %d hubs, want none", c.query, len(s.Hubs))
			}
			continue
		}
		if got := len(s.Hubs[0].Greenlets); got != c.want {
			t.Errorf("%s: %d greenlets, want %d", c.query, got, c.want)
		}
	}
	if code, _ := get(t, srv, "?format=xml"); code != http.StatusBadRequest {
		t.Errorf("format=xml: %d, want 400", code)
	}
	if code, _ := get(t, srv, "?timeout=-1s"); code != http.StatusBadRequest {
		t.Errorf("timeout=-1s: %d, want 400", code)
	}
}

// TestHandlerHeldHub: a hub held by a spinning greenlet is answered for
// within the request's timeout, as not responding, and the other hubs are
// shown in full.
func TestHandlerHeldHub(t *testing.T) {
	servedHub(t, "free-hub", 1)
	h := gevent.NewHub(gevent.WithHubName("spinning-hub"))
	var stop, spinning atomic.Bool
	gevent.Go(h.Context(), func(ctx context.Context) error {
		spinning.Store(true)
		for !stop.Load() {
		}
		return nil
	}, gevent.WithName("spinner"))
	done := make(chan error, 1)
	go func() { done <- h.Serve(context.Background()) }()
	defer func() {
		stop.Store(true)
		h.Stop()
		<-done
	}()
	for !spinning.Load() {
		runtime.Gosched()
	}
	srv := httptest.NewServer(debug.Handler())
	defer srv.Close()
	start := time.Now()
	resp, err := http.Get(srv.URL + "/?format=json&timeout=100ms&hub=spinning-hub&hub=free-hub")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s debug.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("answer took %v with a 100ms timeout", took)
	}
	if len(s.Hubs) != 2 {
		t.Fatalf("%d hubs, want 2", len(s.Hubs))
	}
	for _, hub := range s.Hubs {
		switch hub.Name {
		case "spinning-hub":
			if hub.Responded || len(hub.Greenlets) != 0 {
				t.Errorf("spinning-hub: %+v, want not responding", hub)
			}
			if !strings.HasPrefix(hub.Holder, "spinner #") {
				t.Errorf("spinning-hub: holder %q, want spinner named", hub.Holder)
			}
		case "free-hub":
			if !hub.Responded || len(hub.Greenlets) != 3 {
				t.Errorf("free-hub: responded %v, %d greenlets; want 3", hub.Responded, len(hub.Greenlets))
			}
		}
	}
}
