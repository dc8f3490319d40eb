package debug_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/debug"
	"github.com/gevent-go/gevent/geventtest"
)

// spin holds the hub for d without a switch point.
//
//go:noinline
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// TestAssertSwitches: a function that spins 20ms fails a 10ms bound, naming
// its greenlet and showing its stack, and keeps its own error; one that
// yields every millisecond passes (unless the machine itself stretched a
// cycle past the bound); the watch ends with the function.
func TestAssertSwitches(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		boom := errors.New("boom")
		err := debug.AssertSwitches(ctx, 10*time.Millisecond, func(ctx context.Context) error {
			spin(20 * time.Millisecond)
			return boom
		})
		var he *debug.HoldError
		if !errors.As(err, &he) || !errors.Is(err, boom) {
			t.Fatalf("spinning 20ms under a 10ms bound: %v", err)
		}
		if he.Holder != "main" || he.Held < 10*time.Millisecond || he.Max != 10*time.Millisecond ||
			!strings.Contains(he.Error(), `greenlet "main" held the hub`) {
			t.Errorf("hold error: %+v", he)
		}

		stretched := 0
		err = debug.AssertSwitches(ctx, 10*time.Millisecond, func(ctx context.Context) error {
			for range 30 {
				start := time.Now()
				spin(time.Millisecond)
				if err := gevent.Yield(ctx); err != nil {
					return err
				}
				if time.Since(start) > 9*time.Millisecond {
					stretched++ // the OS took the CPU: a real hold
				}
			}
			return nil
		})
		if err != nil && stretched == 0 {
			t.Errorf("yielding every millisecond: %v", err)
		}
		return nil
	})
}

// TestAssertSwitchesOtherGreenlet: a hold by another greenlet while the
// function waits counts too (gevent measures every greenlet).
func TestAssertSwitchesOtherGreenlet(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		err := debug.AssertSwitches(ctx, 10*time.Millisecond, func(ctx context.Context) error {
			return gevent.Go(ctx, func(context.Context) error {
				spin(200 * time.Millisecond) // long enough for a monitor run late by a loaded machine
				return nil
			}, gevent.WithName("other")).Join(ctx)
		})
		var he *debug.HoldError
		if !errors.As(err, &he) || he.Holder != "other" || !strings.Contains(he.Stack, "debug_test.spin(") {
			t.Fatalf("another greenlet spinning 200ms: %v; stack:\n%s", err, he.Stack)
		}
		return nil
	})
}

// TestAssertSwitchesMisuse: a context without a running greenlet, or a
// bound that is not positive, panics.
func TestAssertSwitchesMisuse(t *testing.T) {
	for name, f := range map[string]func(){
		"goroutine": func() {
			_ = debug.AssertSwitches(context.Background(), time.Second, func(context.Context) error { return nil })
		},
		"max": func() { _ = debug.AssertSwitches(context.Background(), 0, func(context.Context) error { return nil }) },
	} {
		func() {
			defer func() {
				if p := recover(); p == nil || !strings.HasPrefix(p.(string), "gevent/debug: AssertSwitches") {
					t.Errorf("%s: panic %v", name, p)
				}
			}()
			f()
		}()
	}
}

// In a test, a function that must cooperate with the other greenlets is
// checked under a bound.
func ExampleAssertSwitches() {
	_ = gevent.Run(context.Background(), func(ctx context.Context) error {
		err := debug.AssertSwitches(ctx, 20*time.Millisecond, func(ctx context.Context) error {
			time.Sleep(50 * time.Millisecond) // blocks the hub: gevent.Sleep(ctx, ...) would not
			return nil
		})
		var he *debug.HoldError
		fmt.Println(errors.As(err, &he), he.Holder)
		return nil
	})
	// Output: true main
}
