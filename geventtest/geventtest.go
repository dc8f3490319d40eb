// Package geventtest helps test code built on gevent-go: run a test's body as
// the main greenlet of its own hub, and check that a test binary leaves no
// goroutine (and so no hub or greenlet) behind.
package geventtest

import (
	"context"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/leakcheck"
)

// Run runs body as the main greenlet of a new hub on the calling goroutine,
// with a context cancelled when the test ends (or 5 s before the test's
// deadline, so that a body that hangs fails instead), and fails the test with
// body's error. Every greenlet body spawned has ended when Run returns (Run
// kills those still alive). Options configure the hub.
//
// The hub runs a stall monitor (gevent.WithStallMonitor) with a threshold of
// StallThreshold: a greenlet or callback that holds the hub that long
// without a switch point fails the test with the report (the holder and its
// stack). A gevent.WithStallMonitor option replaces it (threshold 0 turns it
// off). Inside a testing/synctest bubble, where time stands still while
// greenlets run, there is no monitor.
func Run(t testing.TB, body func(ctx context.Context) error, opts ...gevent.HubOption) {
	t.Helper()
	if body == nil {
		panic("gevent/geventtest: Run: nil body")
	}
	ctx := t.Context()
	deadline, ok, bubble := testDeadline(t)
	if !bubble {
		opts = append([]gevent.HubOption{stallMonitor(t)}, opts...)
	}
	if ok {
		// A hung body ends with the test's deadline (and a message), a
		// little before the test binary would be killed.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-5*time.Second))
		defer cancel()
	}
	if err := gevent.Run(ctx, body, opts...); err != nil {
		t.Fatalf("geventtest.Run: %v", err)
	}
}

// VerifyTestMain runs the tests and then, if they passed, fails the binary
// when goroutines they started are still running (after a short grace period
// for those that are ending). Call it from TestMain:
//
//	func TestMain(m *testing.M) { geventtest.VerifyTestMain(m) }
func VerifyTestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// Leaked returns the stacks of goroutines other than the test runner's and
// the runtime's: after a test has cleaned up, an empty result means nothing
// leaked. Goroutines that are ending get a grace period of up to a second
// (a goroutine cannot signal its own exit: the library's, such as a stall
// monitor, are past their last step but may still be listed for a moment
// after Run returns).
func Leaked() []string { return leakcheck.Settled(time.Second) }

// StallThreshold is the stall monitor threshold of Run's hubs.
const StallThreshold = time.Second

// stallMonitor fails t with each hold of the hub longer than
// StallThreshold, and logs its end.
func stallMonitor(t testing.TB) gevent.HubOption {
	return gevent.WithStallMonitor(StallThreshold, gevent.MonitorReport(func(e gevent.StallEvent) {
		if e.Ended {
			t.Logf("%v", e)
			return
		}
		t.Errorf("geventtest.Run: %v; stack:\n%s", e, e.Stack)
	}))
}

// testDeadline is t's deadline, if it has one. Inside a testing/synctest
// bubble, where a real deadline means nothing, T.Deadline panics: there is
// none, and bubble is true.
func testDeadline(t testing.TB) (deadline time.Time, ok, bubble bool) {
	d, has := t.(interface{ Deadline() (time.Time, bool) })
	if !has {
		return time.Time{}, false, false
	}
	defer func() {
		if recover() != nil {
			deadline, ok, bubble = time.Time{}, false, true
		}
	}()
	deadline, ok = d.Deadline()
	return deadline, ok, false
}
