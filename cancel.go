package gevent

import (
	"context"

	"github.com/gevent-go/gevent/internal/core"
)

// WithCancel is context.WithCancel made of the library's own context: a
// greenlet waiting with it (or with a context derived from it) registers
// without a goroutine, and cancel ends such waits at once, in the caller,
// where a standard context's cancellation reaches a waiting greenlet through
// a new goroutine (context.AfterFunc). In a simulation (package sim) that
// makes the cancellation a step of the run, so the run stays reproducible.
// ctx's cancellation cancels the new context too; its deadline is ctx's.
func WithCancel(ctx context.Context) (context.Context, context.CancelFunc) {
	tc := newCancelCtx(ctx, "WithCancel")
	return tc, func() { tc.CancelWith(context.Canceled) }
}

// WithCancelCause is WithCancel whose cancel function records a cause, as
// context.WithCancelCause: context.Cause reports it, Err is (or wraps)
// context.Canceled, and cancel(nil) is cancel(context.Canceled).
func WithCancelCause(ctx context.Context) (context.Context, context.CancelCauseFunc) {
	tc := newCancelCtx(ctx, "WithCancelCause")
	return tc, func(cause error) {
		if cause == nil {
			cause = context.Canceled
		}
		tc.CancelWith(cause)
	}
}

func newCancelCtx(ctx context.Context, what string) *core.TimerCtx {
	if ctx == nil {
		panic("gevent: " + what + ": nil ctx")
	}
	tc := new(core.TimerCtx)
	tc.Init(nil) // (no expiry: no timer)
	tc.StartCancel(ctx)
	return tc
}
