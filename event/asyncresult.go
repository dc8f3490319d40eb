package event

import (
	"context"
	"errors"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/core"
)

// AsyncResult holds one value or one error that greenlets and goroutines can
// wait for: gevent's AsyncResult, a future. The zero value is an unset
// AsyncResult, ready to use. An AsyncResult must not be copied after first
// use.
//
// As in gevent, a result can be set more than once (there is no Clear): a
// later Set replaces the earlier result, and a later SetError replaces an
// earlier error but not a value (gevent's get returns a stored value before
// it looks at a stored exception). All methods are safe to call
// from any goroutine and from greenlets of any hub. Only Get and Wait can
// block.
//
// A call to Set or SetError “synchronizes before” the return of any Get or
// Wait that it unblocks, and before any TryGet, Value or Err that observes
// it.
type AsyncResult[T any] struct {
	n notifier // n.mu guards the fields below
	// ready is set by the first Set or SetError and never cleared.
	ready bool
	value T
	err   error
}

// Set stores v (replacing any earlier result) and wakes every waiter, FIFO,
// without switching. OnReady callbacks registered before the call run before
// Set returns, on the calling goroutine.
func (r *AsyncResult[T]) Set(v T) { r.store(v, nil) }

// SetError stores err as the result (gevent's set_exception): Get returns it.
// When a value is already set it changes nothing, as in gevent, whose get
// returns a stored value first. A nil err panics; use Set for a successful
// result.
func (r *AsyncResult[T]) SetError(err error) {
	if err == nil {
		panic("gevent/event: SetError: nil err")
	}
	var zero T
	r.store(zero, err)
}

func (r *AsyncResult[T]) store(v T, err error) {
	r.n.mu.Lock()
	if err != nil && r.ready && r.err == nil {
		r.n.mu.Unlock() // a value is set: it wins (no callback is pending)
		return
	}
	r.value, r.err = v, err
	r.ready = true
	links := r.n.notifyLocked()
	r.n.mu.Unlock()
	core.RunCallbacks(&r.n.mu, links)
}

// Get waits until a result is set and returns it: the value and a nil
// error, or the zero value and the stored error. It returns at once, without
// switching, when a result is already there, even when ctx is already
// cancelled (gevent's rule: a call that need not wait does not look at its
// timeout). When ctx ends first it returns
// the zero value and ctx's cause (gevent's Timeout on get). From a plain
// goroutine it blocks the goroutine.
func (r *AsyncResult[T]) Get(ctx context.Context) (T, error) {
	if ctx == nil {
		panic("gevent/event: Get: nil ctx")
	}
	r.n.mu.Lock()
	if !r.ready {
		if err := r.n.waitLocked(ctx, false, waitAsyncResult); err != nil {
			var zero T
			return zero, err
		}
		r.n.mu.Lock()
	}
	v, err := r.value, r.err
	r.n.mu.Unlock()
	return v, err
}

// TryGet returns Value and ok true if a result is set, and the zero value
// and ok false without blocking otherwise (gevent's get(block=False)); Err
// returns the error of a result that is one. To read both at once, call Get
// once Ready reports true.
func (r *AsyncResult[T]) TryGet() (value T, ok bool) {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	return r.value, r.ready
}

// Wait waits until a result is set, like Get, but returns only whether it
// waited successfully: nil once a result is set (whatever it is) and ctx's
// cause when ctx ends first. The issue 1520 rule of Event.Wait applies.
func (r *AsyncResult[T]) Wait(ctx context.Context) error {
	if ctx == nil {
		panic("gevent/event: Wait: nil ctx")
	}
	r.n.mu.Lock()
	return r.n.waitLocked(ctx, r.ready, waitAsyncResult)
}

// Ready reports whether a result is set.
func (r *AsyncResult[T]) Ready() bool {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	return r.ready
}

// Successful reports whether a result is set and is a value rather than an
// error. As for greenlets, gevent.ErrGreenletExit counts as success: a result
// fed by SetFrom from a killed greenlet is successful.
func (r *AsyncResult[T]) Successful() bool {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	return r.ready && (r.err == nil || errors.Is(r.err, gevent.ErrGreenletExit))
}

// Value returns the stored value, or the zero value when no result is set or
// the result is an error.
func (r *AsyncResult[T]) Value() T {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	return r.value
}

// Err returns the stored error (gevent's exception), or nil when no result is
// set or the result is a value.
func (r *AsyncResult[T]) Err() error {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	return r.err
}

// OnReady arranges for f to be called once, the next time a result is set,
// on the goroutine that sets it (at once, on the calling goroutine, if one is
// set now). f must not block. remove unregisters f and reports whether it was
// still pending: then f never runs, even when the notification has begun
// (a callback may remove a later one, as with gevent's unlink). A panic of f
// reaches the setter after the other callbacks have run. With Ready it makes
// an AsyncResult a gevent.Waitable.
func (r *AsyncResult[T]) OnReady(f func()) (remove func() bool) {
	r.n.mu.Lock()
	return r.n.onReadyLocked(r.ready, f)
}

// SetFrom makes g's outcome the result once g has ended (gevent's
// g.link(async_result)): its value through Set when it returns a nil error,
// its error through SetError otherwise (gevent.ErrGreenletExit after a
// default kill). The result is set from g's RawLink callback, on g's hub, after
// the greenlets already queued there. unlink cancels that and reports whether
// it was still pending. To copy only successes or only failures, use g's
// LinkValue or LinkException with Set or SetError.
func (r *AsyncResult[T]) SetFrom(g *gevent.Greenlet[T]) (unlink func() bool) {
	if g == nil {
		panic("gevent/event: SetFrom: nil g")
	}
	return g.RawLink(func(g *gevent.Greenlet[T]) {
		v, err := g.Value(), g.Err()
		if err != nil {
			r.SetError(err)
			return
		}
		r.Set(v)
	})
}
