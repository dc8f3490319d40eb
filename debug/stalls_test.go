package debug_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/debug"
)

// spinUntil holds the hub on the CPU until stop is set.
//
//go:noinline
func spinUntil(stop, started *atomic.Bool) {
	started.Store(true)
	for !stop.Load() {
	}
}

// sleepUntil holds the hub blocked in time.Sleep until stop is set.
//
//go:noinline
func sleepUntil(stop *atomic.Bool) {
	for !stop.Load() {
		time.Sleep(time.Millisecond)
	}
}

// heldHub serves a hub named name whose only greenlet runs hold; the
// returned function ends the hold and waits for the hub.
func heldHub(t *testing.T, name string, hold func(), opts ...gevent.HubOption) (stop func()) {
	t.Helper()
	h := gevent.NewHub(append([]gevent.HubOption{gevent.WithHubName(name)}, opts...)...)
	gevent.Go(h.Context(), func(context.Context) error {
		hold()
		return nil
	}, gevent.WithName("holder"))
	done := make(chan error, 1)
	go func() { done <- h.Serve(context.Background()) }()
	return func() {
		h.Stop()
		<-done
	}
}

// body is the answer to a GET of the handler (mounted as the real one
// would be, at /debug/gevent/), which must succeed.
func body(t *testing.T, srv *httptest.Server, query string) string {
	t.Helper()
	code, b := get(t, srv, query)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", query, code, b)
	}
	return b
}

// handlerServer serves the handler where a program would mount it.
func handlerServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/debug/gevent/", debug.Handler())
	return httptest.NewServer(mux)
}

// TestHandlerNamesHolder: a hub that does not respond is reported with the
// greenlet that holds it and the function it is in, without a stall
// monitor, in text and JSON.
func TestHandlerNamesHolder(t *testing.T) {
	var stop, started atomic.Bool
	end := heldHub(t, "spun-hub", func() { spinUntil(&stop, &started) })
	defer end()
	defer stop.Store(true)
	deadline := time.Now().Add(10 * time.Second)
	for !started.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the greenlet never ran")
		}
		time.Sleep(time.Millisecond)
	}
	srv := handlerServer()
	defer srv.Close()
	text := body(t, srv, "?hub=spun-hub&timeout=50ms")
	if !strings.Contains(text, "did not respond in time (held by holder #0 in debug_test.spinUntil)") {
		t.Errorf("text dump of a held hub:\n%s", text)
	}
	var s debug.Snapshot
	if err := json.Unmarshal([]byte(body(t, srv, "?hub=spun-hub&timeout=50ms&format=json")), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Hubs) != 1 || s.Hubs[0].Responded || !strings.HasPrefix(s.Hubs[0].Holder, "holder #0 in debug_test.spinUntil") {
		t.Errorf("JSON dump of a held hub: %+v", s.Hubs)
	}
}

// TestHandlerStalls: the stalls page serves the hubs' stall monitor events
// (the report with the holder's stack, then the end with the duration), and
// a held hub's dump says the monitor reported the hold.
func TestHandlerStalls(t *testing.T) {
	reports := make(chan gevent.StallEvent, 4)
	var stop atomic.Bool
	end := heldHub(t, "stalled-hub", func() { sleepUntil(&stop) },
		gevent.WithStallMonitor(20*time.Millisecond, gevent.MonitorReport(func(e gevent.StallEvent) { reports <- e })))
	defer end()
	defer stop.Store(true)
	timeout := time.After(time.Minute)
	select {
	case <-reports:
	case <-timeout:
		t.Fatal("no stall reported")
	}
	srv := handlerServer()
	defer srv.Close()
	text := body(t, srv, "?hub=stalled-hub&timeout=50ms")
	if !strings.Contains(text, "held by holder #0 in time.Sleep, reported by the stall monitor after ") {
		t.Errorf("text dump of a stalled hub:\n%s", text)
	}
	text = body(t, srv, "stalls")
	if !strings.Contains(text, "hub stalled-hub #") || !strings.Contains(text, "holder #0 [") ||
		!strings.Contains(text, "has held the hub without a switch for") || !strings.Contains(text, "debug_test.sleepUntil(") {
		t.Errorf("stalls page:\n%s", text)
	}

	stop.Store(true)
	select {
	case <-reports: // the end
	case <-timeout:
		t.Fatal("no end of the stall reported")
	}
	var stalls []debug.Stall
	if err := json.Unmarshal([]byte(body(t, srv, "stalls?format=json")), &stalls); err != nil {
		t.Fatal(err)
	}
	var mine []debug.Stall
	for _, s := range stalls {
		if s.Hub == "stalled-hub" {
			mine = append(mine, s)
		}
	}
	if len(mine) != 2 || mine[0].Ended || mine[0].Greenlet != "holder" || !strings.Contains(mine[0].Stack, "debug_test.sleepUntil(") ||
		!mine[1].Ended || mine[1].Held < mine[0].Held {
		t.Errorf("stall events of the hub: %+v", mine)
	}
	// ?hub= keeps that hub's events only (by name or id), as on the dump.
	for _, q := range []string{"stalled-hub", strconv.FormatUint(mine[0].HubID, 10)} {
		var only []debug.Stall
		if err := json.Unmarshal([]byte(body(t, srv, "stalls?format=json&hub="+q)), &only); err != nil {
			t.Fatal(err)
		}
		if len(only) != 2 || only[0].Hub != "stalled-hub" || only[1].Hub != "stalled-hub" {
			t.Errorf("stalls?hub=%s: %+v", q, only)
		}
	}
	var none []debug.Stall
	if err := json.Unmarshal([]byte(body(t, srv, "stalls?format=json&hub=no-such-hub")), &none); err != nil || len(none) != 0 {
		t.Errorf("stalls?hub=no-such-hub: %+v, %v", none, err)
	}
}
