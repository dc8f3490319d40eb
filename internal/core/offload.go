package core

import (
	"context"
	"sync"
	"unsafe"
)

// offloadState is the life of one Offload.
//
//	queued ──Run starts op──▶ running ──op returns──▶ done
//	   └──the caller gives up first──▶ abandoned (op never runs)
//
// The caller's give-up and Run's start race under Offload.mu: exactly one of
// them leaves queued, so an operation whose caller has gone never starts.
type offloadState uint8

const (
	offloadQueued offloadState = iota
	offloadRunning
	offloadDone
	offloadAbandoned
)

// Offload hands one operation from a parked caller to another goroutine
// (a Blocking worker, a goroutine of its own) and its result back: the
// hold/wake/unhold hand-off shared by gevent.Blocking, the socket package's
// off-hub calls and its HTTP client.
//
//	o, err := core.NewOffload[T](ctx)  // cancellation check, hub held
//	go o.Run(op)                       // or hand o.Run to a worker
//	v, err, cause := o.Wait(ctx)       // park until op is done or ctx ends
//	if cause != nil {
//		... make op return (cancel its context), then either
//		o.Abandon(cleanup)         // return now; cleanup gets op's result
//		v, err = o.Finish(ctx)     // or wait for op, uncancellably
//	}
//
// While op is queued or running the hub is held (it does not declare
// ErrLoopExit, and a stopping hub waits for op). An op whose caller gave up
// before it started never runs.
type Offload[T any] struct {
	h *Hub // held while op may still run; nil for a plain goroutine's call

	// info names the operation for dumps (set by Describe before Wait).
	info OffloadInfo

	mu      sync.Mutex // guards the fields below
	state   offloadState
	w       *Waiter // the parked caller's waiter; nil while it is not waiting
	cleanup func(T, error)
	v       T
	err     error
}

// NewOffload prepares the hand-off of one operation for the caller of ctx:
// ctx's cause if ctx is already cancelled (nothing is started), otherwise an
// Offload whose hub is held until the operation ends or is abandoned.
func NewOffload[T any](ctx context.Context) (*Offload[T], error) {
	if err := Cause(ctx); err != nil {
		return nil, err
	}
	o := &Offload[T]{}
	if g := Current(ctx); g != nil {
		o.h = g.hub
		o.h.Hold()
	}
	return o, nil
}

// Describe names the operation for dumps: what it is ("blocking", "socket
// read") and, optionally, the user's function it runs. Call it before Wait.
func (o *Offload[T]) Describe(what string, fn any) {
	o.info = OffloadInfo{What: what, Func: fn}
}

// Run runs op, unless the caller has already given up, and hands its
// result to the caller. Call it once, on the goroutine that is to block.
func (o *Offload[T]) Run(op func() (T, error)) {
	o.mu.Lock()
	if o.state == offloadAbandoned {
		o.mu.Unlock()
		return // the caller gave up first and released the hold
	}
	o.state = offloadRunning
	o.mu.Unlock()
	v, err := op()
	o.mu.Lock()
	o.v, o.err, o.state = v, err, offloadDone
	if o.w != nil {
		o.w.Wake()
	}
	cleanup := o.cleanup
	o.mu.Unlock()
	if cleanup != nil {
		cleanup(v, err)
	}
	if o.h != nil {
		o.h.Unhold()
		o.h.Post(func() {}) // let a stopping hub see the hold released
	}
}

// Wait parks the caller until op has returned (its result, cause nil) or
// ctx ends (cause non-nil). With a cause, an op that had not started never
// will, and v and err are zero; one that has started goes on, and the
// caller must make it return and then call Abandon or Finish.
func (o *Offload[T]) Wait(ctx context.Context) (v T, err, cause error) {
	w, cause := PrepareOn(ctx, WaitBlocking, unsafe.Pointer(&o.info))
	if cause == nil {
		o.mu.Lock()
		o.w = w
		if o.state == offloadDone {
			w.Wake() // op was quicker than the caller: Block returns at once
		}
		o.mu.Unlock()
		cause = w.Block(ctx)
		o.mu.Lock()
		o.w = nil // the waiter is reused by the caller's next wait
		o.mu.Unlock()
		w.Release()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if cause == nil {
		return o.v, o.err, nil
	}
	if o.state == offloadQueued {
		o.state = offloadAbandoned
		if o.h != nil {
			o.h.Unhold() // the caller runs on the hub: no post needed
		}
	}
	return v, nil, cause
}

// Abandon lets an op whose caller gave up (Wait returned a cause) run to its
// end with nobody waiting: cleanup, if not nil, gets its result then, or at
// once when op has already returned. It reports whether op started; an op
// that did not never will (its inputs are still the caller's to release).
func (o *Offload[T]) Abandon(cleanup func(T, error)) (started bool) {
	o.mu.Lock()
	switch o.state {
	case offloadRunning:
		o.cleanup = cleanup
		o.mu.Unlock()
	case offloadDone:
		v, err := o.v, o.err
		o.mu.Unlock()
		if cleanup != nil {
			cleanup(v, err)
		}
	default:
		o.mu.Unlock()
		return false
	}
	return true
}

// Finish waits, uncancellably, for the op of a caller that gave up (Wait
// returned a cause, and the caller has made op return promptly) and returns
// its result: op may still be using the caller's buffer, or produce
// something that must be closed. For an op that never started it returns
// zero values at once. ctx is the caller's (its cancellation is ignored).
func (o *Offload[T]) Finish(ctx context.Context) (T, error) {
	still := context.WithoutCancel(ctx)
	for {
		o.mu.Lock()
		if o.state != offloadRunning {
			v, err := o.v, o.err
			o.mu.Unlock()
			return v, err
		}
		w, err := PrepareOn(still, WaitBlocking, unsafe.Pointer(&o.info))
		if err != nil { // not expected: still cannot be cancelled
			o.mu.Unlock()
			Yield(still)
			continue
		}
		o.w = w
		o.mu.Unlock()
		_ = w.Block(still) // a spurious end just loops
		o.mu.Lock()
		o.w = nil
		o.mu.Unlock()
		w.Release()
	}
}

// BlockingWorkers returns the hub's bound on Blocking workers
// (Options.BlockingWorkers).
func (h *Hub) BlockingWorkers() int { return h.opts.BlockingWorkers }
