package gevent_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
)

// test__api_timeout test_nested_timeout: when the outer timeout expires
// first, the inner wait returns the outer *Timeout unchanged; the inner one
// stays pending.
func TestNestedTimeoutOuterExpiresFirst(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		outer := gevent.NewTimeout(3*time.Millisecond, nil)
		inner := gevent.NewTimeout(time.Hour, nil)
		octx := outer.Start(ctx)
		ictx := inner.Start(octx)
		err := gevent.Sleep(ictx, time.Hour)
		var got *gevent.Timeout
		if !errors.As(err, &got) || got != outer {
			t.Errorf("errors.As(err) = %v, want the outer timeout %v", got, outer)
		}
		if !errors.Is(err, outer) || errors.Is(err, inner) {
			t.Errorf("errors.Is(err, outer) = %v, errors.Is(err, inner) = %v; want true, false",
				errors.Is(err, outer), errors.Is(err, inner))
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want it to be DeadlineExceeded", err)
		}
		if outer.Pending() || !inner.Pending() {
			t.Errorf("outer pending = %v, inner pending = %v; want false, true", outer.Pending(), inner.Pending())
		}
		inner.Cancel()
		if inner.Pending() {
			t.Error("inner still pending after Cancel")
		}
		// The context reports the outer cause too.
		if cause := context.Cause(ictx); cause != outer {
			t.Errorf("context.Cause(inner ctx) = %v, want outer", cause)
		}
		return nil
	})
}

func TestNestedTimeoutInnerExpiresFirst(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		octx, cancelOuter := gevent.WithTimeout(ctx, time.Hour)
		defer cancelOuter()
		ictx, cancelInner := gevent.WithTimeout(octx, 2*time.Millisecond)
		defer cancelInner()
		err := gevent.Sleep(ictx, time.Hour)
		inner := context.Cause(ictx)
		var to *gevent.Timeout
		if !errors.As(err, &to) || error(to) != inner || !errors.Is(err, inner) {
			t.Errorf("Sleep = %v, want the inner timeout %v", err, inner)
		}
		if octx.Err() != nil {
			t.Errorf("outer ctx cancelled: %v", octx.Err())
		}
		return nil
	})
}

// with_timeout returns timeout_value only for its own timeout.
func TestWithTimeoutFallbackOnlyForOwnTimeout(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		slow := func(ctx context.Context) (string, error) {
			return "slow", gevent.Sleep(ctx, time.Hour)
		}
		v, err := gevent.WithTimeoutFallback(ctx, 2*time.Millisecond, slow, "fallback")
		if v != "fallback" || err != nil {
			t.Errorf("own timeout, WithTimeoutFallback = %q, %v; want \"fallback\", nil", v, err)
		}

		v, err = gevent.WithTimeoutFunc(ctx, 2*time.Millisecond, slow)
		var to *gevent.Timeout
		if v != "slow" || !errors.As(err, &to) || to.Duration() != 2*time.Millisecond {
			t.Errorf("own timeout, WithTimeoutFunc = %q, %v; want the *Timeout of 2ms", v, err)
		}

		outer := gevent.NewTimeout(2*time.Millisecond, nil)
		octx := outer.Start(ctx)
		v, err = gevent.WithTimeoutFallback(octx, time.Hour, slow, "fallback")
		if v == "fallback" || !errors.Is(err, outer) {
			t.Errorf("outer timeout = %q, %v; want the outer timeout, no fallback", v, err)
		}

		errX := errors.New("x")
		v, err = gevent.WithTimeoutFallback(ctx, time.Hour, func(context.Context) (string, error) { return "v", errX },
			"fallback")
		if v != "v" || err != errX {
			t.Errorf("fn error = %q, %v; want \"v\", x", v, err)
		}

		v, err = gevent.WithTimeoutFunc(ctx, time.Hour, func(context.Context) (string, error) { return "fast", nil })
		if v != "fast" || err != nil {
			t.Errorf("fast fn = %q, %v", v, err)
		}
		return nil
	})
}

func TestWithTimeoutCancelReleases(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		tctx, cancel := gevent.WithTimeout(ctx, time.Hour)
		cancel()
		if err := gevent.Sleep(tctx, time.Hour); !errors.Is(err, context.Canceled) {
			t.Errorf("Sleep after cancel = %v, want Canceled", err)
		}
		if _, ok := tctx.Deadline(); !ok {
			t.Error("WithTimeout ctx has no deadline")
		}
		return nil
	})
}

// test__timeout: start, cancel, pending and restart of one Timeout.
func TestTimeoutStartCancelPendingRestart(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		to := gevent.NewTimeout(2*time.Millisecond, nil)
		if to.Pending() {
			t.Error("pending before Start")
		}
		c := to.Start(ctx)
		if !to.Pending() {
			t.Error("not pending after Start")
		}
		to.Cancel()
		if to.Pending() {
			t.Error("pending after Cancel")
		}
		if err := gevent.Sleep(c, 5*time.Millisecond); err != nil {
			t.Errorf("Sleep under a cancelled Timeout = %v, want nil", err)
		}
		for i := range 2 { // a fired Timeout may be started again
			c = to.Start(ctx)
			err := gevent.Sleep(c, time.Hour)
			if !errors.Is(err, to) || err != error(to) {
				t.Errorf("run %d: Sleep = %v, want the Timeout itself", i, err)
			}
			if to.Pending() {
				t.Errorf("run %d: pending after firing", i)
			}
			if !errors.Is(c.Err(), context.DeadlineExceeded) || context.Cause(c) != error(to) {
				t.Errorf("run %d: ctx.Err() = %v, Cause = %v", i, c.Err(), context.Cause(c))
			}
		}
		return nil
	})
}

func TestTimeoutCustomError(t *testing.T) {
	errSlow := errors.New("too slow")
	geventtest.Run(t, func(ctx context.Context) error {
		to := gevent.NewTimeout(time.Millisecond, errSlow)
		err := gevent.Sleep(to.Start(ctx), time.Hour)
		if !errors.Is(err, errSlow) {
			t.Errorf("Sleep = %v, want %v", err, errSlow)
		}
		if errors.Is(err, to) {
			t.Error("a Timeout with a custom error delivered itself")
		}
		return nil
	})
}

// Timeouts do not interrupt code that does not block, and a timeout never
// interrupts Yield once it has switched.
func TestTimeoutOnlyAtSwitchPoints(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		start := time.Now()
		for time.Since(start) < 3*time.Millisecond { // busy: the hub cannot fire timers
		}
		if tctx.Err() != nil {
			t.Error("timeout fired while the greenlet held the hub")
		}
		if err := gevent.Sleep(tctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Sleep = %v, want the timeout", err)
		}
		return nil
	})
}

// Timeouts work from plain goroutines too, on runtime timers.
func TestTimeoutFromGoroutine(t *testing.T) {
	to := gevent.NewTimeout(time.Millisecond, nil)
	err := gevent.Sleep(to.Start(context.Background()), time.Hour)
	if err != error(to) {
		t.Errorf("Sleep = %v, want the Timeout", err)
	}
	if to.Pending() {
		t.Error("pending after firing")
	}
	c := to.Start(context.Background())
	if !to.Pending() {
		t.Error("not pending after restart")
	}
	to.Cancel()
	if c.Err() != nil {
		t.Errorf("after Cancel: err = %v", c.Err())
	}
	v, err := gevent.WithTimeoutFallback(context.Background(), time.Millisecond, func(ctx context.Context) (int, error) {
		return 0, gevent.Sleep(ctx, time.Hour)
	}, 8)
	if v != 8 || err != nil {
		t.Errorf("WithTimeoutFallback from a goroutine = %v, %v; want 8, nil", v, err)
	}
}

// Pending must turn false after Cancel off a hub too (runtime timer).
func TestTimeoutPendingAfterCancelOffHub(t *testing.T) {
	to := gevent.NewTimeout(time.Hour, nil)
	to.Start(context.Background())
	to.Cancel()
	if to.Pending() {
		t.Error("Timeout.Pending() = true after Cancel when started without a hub")
	}
}

func TestTimeoutError(t *testing.T) {
	to := gevent.NewTimeout(2*time.Second, nil)
	if to.Error() != "gevent: timeout after 2s" {
		t.Errorf("Error() = %q", to.Error())
	}
	if !errors.Is(to, context.DeadlineExceeded) || errors.Is(to, context.Canceled) {
		t.Error("Timeout is not (only) DeadlineExceeded")
	}
}
