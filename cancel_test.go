package gevent_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
)

func TestWithCancel(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		cctx, cancel := gevent.WithCancel(ctx)
		if cctx.Err() != nil {
			t.Fatal("cancelled at birth")
		}
		if _, ok := cctx.Deadline(); ok {
			t.Fatal("a deadline of its own")
		}
		var never event.Event
		var got error
		waiter := gevent.Go(ctx, func(context.Context) error {
			got = never.Wait(cctx)
			return nil
		})
		if err := gevent.Yield(ctx); err != nil {
			return err
		}
		std, stdCancel := context.WithCancel(cctx) // derived with the context package
		defer stdCancel()
		cancel()
		// The waiter was cancelled synchronously: it is queued to resume
		// now, and the first switch lets it run.
		if err := gevent.Yield(ctx); err != nil {
			return err
		}
		if !waiter.Dead() || !errors.Is(got, context.Canceled) {
			t.Fatalf("after cancel and one switch: dead %v, wait %v", waiter.Dead(), got)
		}
		if !errors.Is(cctx.Err(), context.Canceled) || context.Cause(cctx) != context.Canceled {
			t.Fatalf("Err %v, Cause %v", cctx.Err(), context.Cause(cctx))
		}
		select {
		case <-std.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("a context derived with the context package missed the cancellation")
		}
		return nil
	})
}

func TestWithCancelCause(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		boom := errors.New("boom")
		cctx, cancel := gevent.WithCancelCause(ctx)
		cancel(boom)
		if !errors.Is(cctx.Err(), context.Canceled) || context.Cause(cctx) != boom {
			t.Fatalf("Err %v, Cause %v", cctx.Err(), context.Cause(cctx))
		}
		if err := gevent.Sleep(cctx, time.Hour); err != boom {
			t.Fatalf("Sleep on a cancelled context: %v, want the cause", err)
		}
		c2, cancel2 := gevent.WithCancelCause(ctx)
		cancel2(nil)
		if context.Cause(c2) != context.Canceled {
			t.Fatalf("cancel(nil): cause %v", context.Cause(c2))
		}
		// The parent's cancellation reaches it, and the parent's deadline
		// is its own.
		tctx, tcancel := gevent.WithTimeout(ctx, time.Millisecond)
		defer tcancel()
		c3, cancel3 := gevent.WithCancel(tctx)
		defer cancel3()
		if _, ok := c3.Deadline(); !ok {
			t.Fatal("the parent's deadline is lost")
		}
		if err := gevent.Sleep(c3, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the parent's timeout: %v", err)
		}
		return nil
	})
}
