package gevent_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
)

// A RawLink callback runs on the hub, not in a greenlet: a blocking call made
// there with a greenlet's context would block the hub's goroutine forever, so
// it panics with a clear message instead (gevent raises
// BlockingSwitchOutError), which the hub reports, and the hub keeps running.
func TestBlockingCallInLinkCallbackPanics(t *testing.T) {
	var reported []error
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		other := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 0, gevent.Sleep(ctx, time.Hour)
		})
		done := gevent.Spawn(ctx, func(context.Context) (int, error) { return 1, nil })
		done.RawLink(func(*gevent.Greenlet[int]) {
			other.Join(ctx) // would wait on the hub's own goroutine
		})
		done.RawLink(func(*gevent.Greenlet[int]) {
			gevent.Sleep(ctx, time.Second)
		})
		if err := done.Join(ctx); err != nil {
			return err
		}
		gevent.Yield(ctx) // let both links run
		other.Kill(ctx)
		return nil
	}, gevent.WithErrorHandler(func(_ gevent.Task, err error) { reported = append(reported, err) }))
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	if len(reported) != 2 {
		t.Fatalf("reported %d errors (%v), want 2", len(reported), reported)
	}
	for _, err := range reported {
		if !strings.Contains(err.Error(), "gevent: blocking call inside a hub callback") {
			t.Errorf("reported %v, want the blocking-in-callback panic", err)
		}
	}
}
