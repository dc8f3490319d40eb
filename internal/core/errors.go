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

// PanicError is the error of a greenlet whose body panicked: the value and
// the stack of the panicking goroutine.
type PanicError struct {
	Value any
	Stack []byte
}

// Error describes the panic value.
func (e *PanicError) Error() string {
	return fmt.Sprintf("gevent: greenlet panicked: %v", e.Value)
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// errGoexit is recorded for a greenlet whose body called runtime.Goexit.
var errGoexit = fmt.Errorf("gevent: greenlet called runtime.Goexit")

func stack() []byte { return debug.Stack() }
