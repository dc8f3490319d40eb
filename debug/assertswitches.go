package debug

import (
	"context"
	"fmt"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// AssertSwitches runs fn in the calling greenlet and returns a *HoldError
// when, while fn ran, one greenlet or hub callback (fn's own greenlet
// included) held the hub longer than max without reaching a switch point:
// gevent's assert_switches(max_blocking_time). It uses the stall monitor's
// probe (WithStallMonitor), so measurements are within about max/10. Use it
// in tests of code that must cooperate:
//
//	if err := debug.AssertSwitches(ctx, 10*time.Millisecond, parse); err != nil {
//		t.Fatal(err)
//	}
//
// fn's error is returned as is when no hold was seen, and wrapped by the
// *HoldError otherwise. ctx must belong to the running greenlet (a misuse
// panics), and max must be positive.
func AssertSwitches(ctx context.Context, max time.Duration, fn func(ctx context.Context) error) error {
	if max <= 0 {
		panic("gevent/debug: AssertSwitches: max must be positive")
	}
	if fn == nil {
		panic("gevent/debug: AssertSwitches: nil fn")
	}
	g := core.Current(ctx)
	if g == nil {
		panic("gevent/debug: AssertSwitches: ctx is not a running greenlet's")
	}
	stop := g.Hub().WatchStalls(max)
	var events []core.StallEvent
	err := func() error {
		defer func() { events = stop() }() // also when fn panics: the watch ends with it
		return fn(ctx)
	}()
	for i, e := range events {
		if e.Ended {
			continue
		}
		he := &HoldError{Max: max, Held: e.Held, Holder: e.Name, Callback: e.Callback, Stack: e.Stack, Err: err}
		if e.G == nil && !e.Callback && i+1 < len(events) && events[i+1].Ended {
			// Not identified at detection (the holder ended before the
			// lookup): the end of the hold names it exactly.
			he.Holder, he.Callback = events[i+1].Name, events[i+1].Callback
		}
		return he
	}
	return err
}

// HoldError is AssertSwitches' failure: the first hold of the hub longer
// than Max seen while its function ran.
type HoldError struct {
	Max  time.Duration // the bound
	Held time.Duration // how long the hub had been held when the hold was seen (at least)
	// Holder names the greenlet that held the hub ("" when a callback held
	// it, or it was not identified); Stack is its live stack, when taken.
	Holder   string
	Callback bool
	Stack    string
	Err      error // the function's own error, if any
}

// Error describes the hold.
func (e *HoldError) Error() string {
	who := "an unidentified greenlet"
	switch {
	case e.Holder != "":
		who = fmt.Sprintf("greenlet %q", e.Holder)
	case e.Callback:
		who = "a hub callback"
	}
	s := fmt.Sprintf("gevent/debug: AssertSwitches: %s held the hub for %v without a switch (max %v)", who, e.Held, e.Max)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the function's own error.
func (e *HoldError) Unwrap() error { return e.Err }
