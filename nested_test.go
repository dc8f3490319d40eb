package gevent_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/internal/testutil"
)

// runWithin runs f on a new goroutine and fails the test if it has not
// returned within d: a regression to hanging fails instead of blocking the
// test binary until its timeout.
func runWithin(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still running after %v (hung)", d)
	}
}

// issue 10 item 6: Run (or Hub.Serve) called inside a greenlet would run a
// second loop on the first hub's goroutine: the outer hub stops, and a main
// that waits for one of its greenlets never returns, so both hang. It is
// refused with a gevent: panic, whatever context is passed, and the outer hub
// keeps running.
func TestNestedRunRefused(t *testing.T) {
	runWithin(t, 10*time.Second, func() {
		geventtest.Run(t, func(ctx context.Context) error {
			outer := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
				return 1, gevent.Sleep(ctx, time.Millisecond)
			})
			for _, c := range []struct {
				name string
				f    func()
			}{
				{"Run(greenlet ctx)", func() {
					gevent.Run(ctx, func(inner context.Context) error { return outer.Join(ctx) })
				}},
				{"Run(Background)", func() {
					gevent.Run(context.Background(), func(inner context.Context) error { return outer.Join(ctx) })
				}},
				{"Hub.Serve", func() { gevent.NewHub().Serve(context.Background()) }},
			} {
				msg := testutil.PanicMessage(c.f)
				if !strings.HasPrefix(msg, "gevent: ") || !strings.Contains(msg, "called from a greenlet") {
					t.Errorf("%s in a greenlet panicked with %q, want a gevent: refusal", c.name, msg)
				}
			}
			if v, err := outer.Get(ctx); v != 1 || err != nil {
				t.Errorf("outer greenlet after the refusals: %v, %v", v, err)
			}
			return nil
		})
	})
}

// The same holds on the hub's own goroutine (a RawLink callback): the panic
// is reported as the callback's failure.
func TestRunInHubCallbackRefused(t *testing.T) {
	var reports errorLog
	runWithin(t, 10*time.Second, func() {
		geventtest.Run(t, func(ctx context.Context) error {
			g := gevent.Go(ctx, func(context.Context) error { return nil })
			g.RawLink(func(*gevent.Greenlet[struct{}]) {
				gevent.Run(context.Background(), func(context.Context) error { return nil })
			})
			if err := g.Join(ctx); err != nil {
				return err
			}
			yieldUntil(ctx, 10, func() bool { return reports.count() > 0 })
			return nil
		}, reports.option())
	})
	if reports.count() != 1 || !strings.Contains(reports.errs[0].Error(), "gevent: Run called from a greenlet or a hub callback") {
		t.Errorf("reports = %v, want the refusal", reports.errs)
	}
}

// A second hub on a goroutine of its own, started from a greenlet, is fine:
// only the calling goroutine matters.
func TestRunOnGoroutineStartedByGreenlet(t *testing.T) {
	runWithin(t, 10*time.Second, func() {
		geventtest.Run(t, func(ctx context.Context) error {
			done := make(chan error, 1)
			go func() {
				done <- gevent.Run(ctx, func(inner context.Context) error {
					return gevent.Sleep(inner, time.Millisecond)
				})
			}()
			err, werr := gevent.Blocking(ctx, func(context.Context) (error, error) { return <-done, nil })
			if err != nil || werr != nil {
				t.Errorf("inner Run = %v, %v", err, werr)
			}
			return nil
		})
	})
}
