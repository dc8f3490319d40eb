package gevent

import (
	"fmt"

	"github.com/gevent-go/gevent/internal/core"
)

// ErrGreenletExit is the default cause of Kill (gevent's GreenletExit). A
// greenlet that ends with it counts as successful: Successful reports true,
// LinkValue callbacks fire, JoinAll ignores it and the hub does not report it.
// Get still returns it, so that a zero value is never mistaken for a result.
// errors.Is(ErrGreenletExit, context.Canceled) is true.
var ErrGreenletExit error

// ErrGreenletDone cancels a greenlet's context when its function returns,
// so that work derived from that context does not outlive it. It satisfies
// errors.Is(err, context.Canceled).
var ErrGreenletDone error

// ErrLoopExit is returned by a wait of the main greenlet that nothing can ever
// complete: no greenlet is runnable, no timer is armed, no I/O or Blocking
// call is in flight, no Hold is taken, no other hub is running and no plain
// goroutine waits on the library (gevent's LoopExit, "this operation would
// block forever"). A goroutine that will wake a greenlet later is invisible
// to the hub: take Hold before starting it. Its text says so.
//
// The error a wait returns matches ErrLoopExit (errors.Is) and its text adds
// the hub's wait graph: every parked greenlet with what it waits on, the
// cycles of greenlets waiting on each other (joins, lock owners) and the
// objects nobody is left to signal (see package debug).
var ErrLoopExit error

// ErrHubClosed is the result of a greenlet started on a hub that has
// stopped. It satisfies errors.Is(err, context.Canceled).
var ErrHubClosed error

// The sentinels are the values the hub itself returns, which are core's;
// they are assigned here rather than in their declarations so that go doc
// shows their type instead of an internal name (protobuf's proto.Error does
// the same). Package initialisation runs this before any importer's code.
func init() {
	ErrGreenletExit = core.ErrGreenletExit
	ErrGreenletDone = core.ErrGreenletDone
	ErrLoopExit = core.ErrLoopExit
	ErrHubClosed = core.ErrHubClosed
}

// PanicError is the error of a greenlet whose function panicked, and what
// the error handler gets for a RawLink or OnReady callback that panicked (as
// do the greenlets and callbacks of the subpackages). errors.As(err, &pe)
// with a pe of type *PanicError finds it.
type PanicError struct {
	// Value is the value the function passed to panic.
	Value any
	// Stack is the stack of the panicking greenlet (or of the hub, for a
	// callback) when the panic was recovered, as runtime/debug.Stack
	// formats it: the frames of the panic are at the top.
	Stack []byte
}

// Error describes the panic value: "gevent: greenlet panicked: <value>".
func (e *PanicError) Error() string {
	return fmt.Sprintf("gevent: greenlet panicked: %v", e.Value)
}

// Unwrap returns Value when it is an error, and nil otherwise, so that
// errors.Is and errors.As look through a panic with an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// panics is the hub's core.PanicErrors: it makes every recovered panic a
// *PanicError (newHub sets it on every hub).
type panics struct{}

func (panics) New(value any, stack []byte) error { return &PanicError{Value: value, Stack: stack} }

func (panics) Stack(err error) ([]byte, bool) {
	if pe, ok := err.(*PanicError); ok {
		return pe.Stack, true
	}
	return nil, false
}
