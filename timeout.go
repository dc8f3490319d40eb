package gevent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// Timeout is gevent's Timeout: a reusable deadline that cancels a context
// with an identity. Start derives a context that is cancelled d after the
// call with the Timeout itself as the cause (or the error given to
// NewTimeout), so errors.Is(err, t) answers "is it my timeout?", and an outer
// timeout passes through inner waits unchanged.
//
// When the context passed to Start belongs to a hub, the timer lives in that
// hub's timer heap; otherwise it is a runtime timer. A *Timeout is an error
// that satisfies errors.Is(err, context.DeadlineExceeded).
//
// As gevent's (libev's cached loop time), a hub's Timeout counts from the
// hub's clock as last read by its loop (each iteration, and every 64
// callbacks of a long drain): a start that follows a long stretch of CPU work
// without a switch expires early by that stretch. Sleep reads the clock
// afresh. Reading the clock on this machine costs more than all the rest
// of a start.
//
// Create one with NewTimeout (or use WithTimeout); the zero Timeout has no
// timer and its methods panic. Start, Cancel and Pending may be called from
// any goroutine, but Start must not race with itself.
//
// Cost, on a hub at GOMAXPROCS=1: a Start and Cancel of a reused Timeout
// take a few tens of nanoseconds and no allocation, less than a runtime
// timer's Reset and Stop; WithTimeout and its cancel about 0.1 µs and one
// allocation, less than time.AfterFunc and Stop (the timeout_start_cancel
// and timeout_with_block rows of docs/benchmarks.md in the repository).
type Timeout struct {
	// tc is the context of the current (or last) start: first, and a
	// fresh one for each start after a context was cancelled or its Done
	// channel handed out, so that a context once cancelled stays cancelled.
	tc    *core.TimerCtx
	first core.TimerCtx
	d     time.Duration
	err   error
}

// NewTimeout returns a Timeout of d that is not started. On expiry its
// contexts are cancelled with err, or with the Timeout itself when err is
// nil. Negative d counts as zero.
func NewTimeout(d time.Duration, err error) *Timeout {
	t := &Timeout{d: max(d, 0), err: err}
	t.tc = &t.first
	t.tc.Init(t.cause())
	return t
}

// cause is what the Timeout's contexts are cancelled with.
func (t *Timeout) cause() error {
	if t.err != nil {
		return t.err
	}
	return t
}

// Start arms the timer and returns a context derived from ctx that is
// cancelled when it expires. Starting a pending Timeout panics. A fired or
// cancelled Timeout may be started again: it then hands out a new context
// (one that was cancelled stays cancelled); a Timeout stopped with Cancel
// before anything observed its context reuses it, which costs nothing.
//
// Started by a greenlet with its own context (or one derived from it), the
// Timeout is also a scope of that greenlet: until Cancel, its expiry ends
// whichever wait the greenlet is in, even one made with another context or
// none (a socket Read): gevent's `with Timeout(s): sock.recv(n)`. Such an
// expiry is delivered to the greenlet once; waits made with the returned
// context keep failing, as any cancelled context does.
func (t *Timeout) Start(ctx context.Context) context.Context {
	if t == nil || t.tc == nil {
		unmadeTimeout("Start", t)
	}
	if ctx == nil {
		panic("gevent: Timeout.Start: nil ctx")
	}
	if !t.tc.Reusable() {
		if t.tc.Pending() {
			panic("gevent: Timeout started while pending")
		}
		t.tc = new(core.TimerCtx)
		t.tc.Init(t.cause())
	}
	if !t.tc.Start(ctx, t.d) {
		panic("gevent: Timeout started while pending")
	}
	return t.tc
}

// Cancel stops the timer if it is pending and ends its scope; the context
// stays uncancelled. The Timeout may be started again.
func (t *Timeout) Cancel() {
	if t == nil || t.tc == nil {
		panic("gevent: Timeout.Cancel: nil or zero Timeout; create one with NewTimeout")
	}
	t.tc.Stop()
}

// Pending reports whether the timer is armed.
func (t *Timeout) Pending() bool {
	if t == nil || t.tc == nil {
		panic("gevent: Timeout.Pending: nil or zero Timeout; create one with NewTimeout")
	}
	return t.tc.Pending()
}

// unmadeTimeout panics for a method called on a nil *Timeout or a zero
// Timeout, which has no timer: misuse (gevent's Timeout() with no seconds
// never expires; here that is not starting one).
func unmadeTimeout(method string, t *Timeout) {
	if t == nil {
		panic("gevent: Timeout." + method + ": nil *Timeout; create one with NewTimeout")
	}
	panic("gevent: Timeout." + method + ": zero Timeout; create one with NewTimeout")
}

// Duration returns the timeout's duration (gevent's seconds).
func (t *Timeout) Duration() time.Duration { return t.d }

// Error describes the timeout.
func (t *Timeout) Error() string {
	if t.err != nil {
		return fmt.Sprintf("gevent: timeout after %v: %v", t.d, t.err)
	}
	return fmt.Sprintf("gevent: timeout after %v", t.d)
}

// Timeout reports true: a *Timeout is a timeout in net.Error's sense too
// (a url.Error or net.OpError wrapping it says Timeout()).
func (t *Timeout) Timeout() bool { return true }

// Is reports true for context.DeadlineExceeded.
func (t *Timeout) Is(target error) bool { return target == context.DeadlineExceeded }

// WithTimeout returns a context derived from ctx that is cancelled after d
// with a new *Timeout as its cause, and a function that cancels it early
// (with context.Canceled) and releases its timer. Inside a greenlet the timer
// is the hub's: cheaper than context.WithTimeout. Called by a greenlet with
// its own context (or one derived from it), it also opens a timeout scope of
// that greenlet until cancel is called: see Timeout.Start.
func WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if ctx == nil {
		panic("gevent: WithTimeout: nil ctx")
	}
	t := NewTimeout(d, nil)
	c := t.Start(ctx)
	return c, func() { t.tc.CancelWith(context.Canceled) }
}

// WithTimeoutFunc runs fn with a context that expires after d (gevent's
// with_timeout) and returns fn's result as it is: the waits that the timeout
// ends return its *Timeout, which satisfies errors.Is(err,
// context.DeadlineExceeded); WithTimeoutFallback returns a value instead
// (gevent's timeout_value). fn runs on the calling goroutine. Called by a greenlet, the
// timeout is a scope of that greenlet while fn runs (see Timeout.Start): it
// also ends fn's waits made without fn's context, such as a socket Read
// (gevent's `with Timeout(s): sock.recv(n)`).
func WithTimeoutFunc[T any](ctx context.Context, d time.Duration, fn func(context.Context) (T, error)) (T, error) {
	if ctx == nil {
		panic("gevent: WithTimeoutFunc: nil ctx")
	}
	if fn == nil {
		panic("gevent: WithTimeoutFunc: nil fn")
	}
	t := NewTimeout(d, nil)
	c := t.Start(ctx)
	defer t.tc.CancelWith(context.Canceled)
	return fn(c)
}

// WithTimeoutFallback is WithTimeoutFunc with gevent's timeout_value: when
// its own timeout, and not an outer one, ends fn with an error, it returns
// fallback and a nil error instead.
func WithTimeoutFallback[T any](ctx context.Context, d time.Duration, fn func(context.Context) (T, error), fallback T) (T, error) {
	if ctx == nil {
		panic("gevent: WithTimeoutFallback: nil ctx")
	}
	if fn == nil {
		panic("gevent: WithTimeoutFallback: nil fn")
	}
	t := NewTimeout(d, nil)
	c := t.Start(ctx)
	defer t.tc.CancelWith(context.Canceled)
	v, err := fn(c)
	if err != nil && errors.Is(err, t) && t.tc.Expired() {
		return fallback, nil
	}
	return v, err
}
