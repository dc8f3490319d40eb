package core

import (
	"context"
	"fmt"
	"runtime/debug"
)

// exitError is the type of ErrGreenletExit: a kill that means "stop", which
// counts as success and satisfies errors.Is(err, context.Canceled).
type exitError struct{ msg string }

func (e *exitError) Error() string { return e.msg }

func (e *exitError) Is(target error) bool { return target == context.Canceled }

// ErrGreenletExit is the default kill cause (gevent's GreenletExit).
var ErrGreenletExit error = &exitError{"gevent: greenlet exit"}

// ErrGreenletDone cancels a greenlet's context when its body returns.
var ErrGreenletDone error = &exitError{"gevent: greenlet finished"}

// ErrLoopExit ends a wait that nothing can ever complete.
var ErrLoopExit = fmt.Errorf("gevent: this operation would block forever (loop exit): " +
	"no greenlet can run, no timer is armed, no I/O or outside work is in flight; " +
	"if a goroutine will wake this wait, take gevent.Hold(ctx) before starting it " +
	"(and use gevent.AfterFunc, not time.AfterFunc, for timed callbacks)")

// ErrHubClosed is the result of a greenlet started on a hub that has stopped.
var ErrHubClosed error = &exitError{"gevent: hub closed"}

// PanicErrors makes the error of a recovered panic (a greenlet's body, a
// callback) and reads its stack back for the default report. The root
// package gives every hub its own (gevent.PanicError), so that the public
// type is a real one that go doc shows; a hub made without one (core's own
// tests) uses panicError.
type PanicErrors interface {
	// New returns the error of a panic with value v recovered with stack
	// (runtime/debug.Stack's format).
	New(v any, stack []byte) error
	// Stack returns the stack recorded in an error made by New, and false
	// for any other error.
	Stack(err error) ([]byte, bool)
}

// panicError is the error of a recovered panic on a hub whose Options have
// no PanicErrors.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string {
	return fmt.Sprintf("gevent: greenlet panicked: %v", e.value)
}

func (e *panicError) Unwrap() error {
	if err, ok := e.value.(error); ok {
		return err
	}
	return nil
}

// defaultPanics is the PanicErrors of panicError.
type defaultPanics struct{}

func (defaultPanics) New(v any, stack []byte) error { return &panicError{v, stack} }

func (defaultPanics) Stack(err error) ([]byte, bool) {
	if pe, ok := err.(*panicError); ok {
		return pe.stack, true
	}
	return nil, false
}

// errGoexit is recorded for a greenlet whose body called runtime.Goexit.
var errGoexit = fmt.Errorf("gevent: greenlet called runtime.Goexit")

// panicked returns the error of the panic with value v that the caller has
// just recovered, with the current stack.
func (h *Hub) panicked(v any) error { return h.opts.Panics.New(v, debug.Stack()) }
