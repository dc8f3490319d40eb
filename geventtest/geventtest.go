// Package geventtest helps test code built on gevent-go: run a test's body as
// the main greenlet of its own hub, and check that a test binary leaves no
// goroutine (and so no hub or greenlet) behind.
package geventtest

import (
	"context"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/leakcheck"
)

// Run runs body as the main greenlet of a new hub on the calling goroutine,
// with a context cancelled when the test ends, and fails the test with
// body's error. Every greenlet body spawned has ended when Run returns (Run
// kills those still alive). Options configure the hub.
func Run(t testing.TB, body func(ctx context.Context) error, opts ...gevent.HubOption) {
	t.Helper()
	if body == nil {
		panic("gevent/geventtest: Run: nil body")
	}
	if err := gevent.Run(t.Context(), body, opts...); err != nil {
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
// leaked.
func Leaked() []string { return leakcheck.Current() }
