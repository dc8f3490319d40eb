package geventtest_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
)

// A hub runs inside a testing/synctest bubble: its clock is the bubble's
// fake clock, so an hour of Sleep (or of timeouts) takes no real time, and
// wake-ups happen at exact instants. Create the hub inside the bubble
// (geventtest.Run does). Socket I/O cannot join a bubble: the epoll poller
// waits in a system call, which synctest does not count as durably blocked.
// TestSynctestBubble runs this pattern.
func Example_synctest() {
	testSleepAnHour := func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			geventtest.Run(t, func(ctx context.Context) error {
				return gevent.Sleep(ctx, time.Hour) // returns at once, in real time
			})
		})
	}
	_ = testSleepAnHour // func TestSleep(t *testing.T) { testSleepAnHour(t) }
}

// A Timeout of an hour ends a two-hour Sleep after exactly one hour of the
// bubble's fake time.
func TestSynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		geventtest.Run(t, func(ctx context.Context) error {
			_, err := gevent.WithTimeoutFunc(ctx, time.Hour, func(ctx context.Context) (int, error) {
				return 0, gevent.Sleep(ctx, 2*time.Hour)
			})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("WithTimeoutFunc = %v, want its timeout", err)
			}
			return nil
		})
		if got := time.Since(start); got != time.Hour {
			t.Errorf("the timeout ended the sleep after %v of fake time, want 1h", got)
		}
	})
}
