package pool_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// run runs main as the first greenlet of a hub that does not report the
// failures the tests provoke, bounded by the test's deadline.
func run(t *testing.T, main func(ctx context.Context) error) {
	t.Helper()
	geventtest.Run(t, main, quiet()) // members fail on purpose here
}

func quiet() gevent.HubOption { return gevent.WithErrorHandler(func(gevent.Task, error) {}) }

// liveCounter counts the greenlets started with Spawn (any hub) that have not
// ended yet.
type liveCounter struct {
	n      atomic.Int64
	remove func()
}

func countLive() *liveCounter {
	c := &liveCounter{}
	c.remove = gevent.AddSpawnCallback(func(t gevent.Task) {
		c.n.Add(1)
		t.OnReady(func() { c.n.Add(-1) })
	})
	return c
}

func (c *liveCounter) Live() int64 { return c.n.Load() }
func (c *liveCounter) Stop()       { c.remove() }

// maxTracker records how many bodies run at once and the most ever seen.
type maxTracker struct{ cur, max atomic.Int64 }

func (m *maxTracker) enter() {
	n := m.cur.Add(1)
	for {
		old := m.max.Load()
		if n <= old || m.max.CompareAndSwap(old, n) {
			return
		}
	}
}

func (m *maxTracker) exit() { m.cur.Add(-1) }
