package debug_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/debug"
	"github.com/gevent-go/gevent/geventtest"
)

func debugPanics(t *testing.T, name string, f func(), want string) {
	t.Helper()
	var msg string
	func() {
		defer func() {
			if r := recover(); r != nil {
				msg = fmt.Sprint(r)
			}
		}()
		f()
	}()
	if !strings.HasPrefix(msg, "gevent/debug:") || !strings.Contains(msg, want) {
		t.Errorf("%s: panic %q, want a \"gevent/debug:\" message mentioning %q", name, msg, want)
	}
}

type failWriter struct{}

var errWrite = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestHostileCaptureMisuse(t *testing.T) {
	var nilCtx context.Context // (a variable: staticcheck refuses a literal nil)
	debugPanics(t, "Capture(nil)", func() { debug.Capture(nilCtx) }, "nil ctx")
	debugPanics(t, "CaptureHub(nil)", func() { debug.CaptureHub(nilCtx) }, "nil ctx")
	debugPanics(t, "WriteText(nil)", func() { _ = debug.WriteText(nilCtx, failWriter{}) }, "nil ctx")
	debugPanics(t, "WriteText(nil writer)", func() { _ = debug.WriteText(context.Background(), nil) }, "nil io.Writer")
	debugPanics(t, "WriteJSON(nil writer)", func() { _ = debug.WriteJSON(context.Background(), nil) }, "nil io.Writer")
	debugPanics(t, "Snapshot.WriteText(nil)", func() { _ = debug.CaptureHub(context.Background()).WriteText(nil) }, "nil io.Writer")
	debugPanics(t, "Timeout(0)", func() { debug.Timeout(0) }, "Timeout")
	debugPanics(t, "Timeout(-1)", func() { debug.Timeout(-time.Second) }, "Timeout")
	geventtest.Run(t, func(ctx context.Context) error {
		debugPanics(t, "AssertSwitches(nil fn)", func() { _ = debug.AssertSwitches(ctx, time.Second, nil) }, "nil fn")
		debugPanics(t, "AssertSwitches(max 0)", func() {
			_ = debug.AssertSwitches(ctx, 0, func(context.Context) error { return nil })
		}, "max")
		return nil
	})
}

// A failing writer's error comes back from WriteText and WriteJSON.
func TestHostileWriteFailing(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		if err := debug.WriteText(ctx, failWriter{}); !errors.Is(err, errWrite) {
			t.Errorf("WriteText to a failing writer = %v", err)
		}
		if err := debug.WriteJSON(ctx, failWriter{}); !errors.Is(err, errWrite) {
			t.Errorf("WriteJSON to a failing writer = %v", err)
		}
		if err := debug.CaptureHub(ctx).WriteText(failWriter{}); !errors.Is(err, errWrite) {
			t.Errorf("Snapshot.WriteText to a failing writer = %v", err)
		}
		return nil
	})
}

// A panic in AssertSwitches' fn propagates, and ends the watch: a later
// AssertSwitches measures afresh.
func TestHostileAssertSwitchesPanic(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var got any
		func() {
			defer func() { got = recover() }()
			_ = debug.AssertSwitches(ctx, time.Second, func(context.Context) error { panic("boom") })
		}()
		if got != "boom" {
			t.Errorf("recovered %v, want boom", got)
		}
		return debug.AssertSwitches(ctx, time.Second, func(ctx context.Context) error { return gevent.Yield(ctx) })
	})
}

func TestHostileHandlerQueries(t *testing.T) {
	h := gevent.NewHub(gevent.WithHubName("hostile-hub"))
	done := make(chan error, 1)
	go func() { done <- h.Serve(context.Background()) }()
	defer func() { h.Stop(); <-done }()
	srv := httptest.NewServer(debug.Handler())
	defer srv.Close()
	for _, c := range []struct {
		query string
		code  int
		want  string
	}{
		{"?timeout=-1s", 400, "bad timeout"},
		{"?timeout=0", 400, "bad timeout"},
		{"?timeout=1e12h", 400, "bad timeout"},
		{"?timeout=banana", 400, "bad timeout"},
		{"?format=xml", 400, "unknown format"},
		{"?state=zombie", 400, "unknown state"},
		{"?hub=no-such-hub", 200, "0 hubs"},
		{"?hub=hostile-hub", 200, "hostile-hub"},
		{"?hub=hostile-hub&state=parked&format=json", 200, "hostile-hub"},
	} {
		resp, err := http.Get(srv.URL + "/" + c.query)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, _ = fmt.Fprint(&b, readBody(resp))
		if resp.StatusCode != c.code || !strings.Contains(b.String(), c.want) {
			t.Errorf("%s: %d %q, want %d mentioning %q", c.query, resp.StatusCode, b.String(), c.code, c.want)
		}
	}
}

func readBody(resp *http.Response) string {
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// AssertSwitches from a plain goroutine panics; nested, each bound is its
// own: a hold longer than the outer bound but shorter than the inner one
// fails only the outer.
func TestHostileAssertSwitchesNested(t *testing.T) {
	debugPanics(t, "AssertSwitches(plain goroutine)", func() {
		_ = debug.AssertSwitches(context.Background(), time.Second, func(context.Context) error { return nil })
	}, "greenlet")
	geventtest.Run(t, func(ctx context.Context) error {
		var inner error
		outer := debug.AssertSwitches(ctx, 20*time.Millisecond, func(ctx context.Context) error {
			inner = debug.AssertSwitches(ctx, time.Hour, func(context.Context) error {
				spin(100 * time.Millisecond)
				return nil
			})
			return inner
		})
		var he *debug.HoldError
		if !errors.As(outer, &he) {
			t.Errorf("outer AssertSwitches = %v, want a *HoldError", outer)
		}
		if inner != nil {
			t.Errorf("inner AssertSwitches (1h bound) = %v, want nil", inner)
		}
		return nil
	})
}
