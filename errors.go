package gevent

import "github.com/gevent-go/gevent/internal/core"

// ErrGreenletExit is the default cause of Kill (gevent's GreenletExit). A
// greenlet that ends with it counts as successful: Successful reports true,
// LinkValue callbacks fire, JoinAll ignores it and the hub does not report it.
// Get still returns it, so that a zero value is never mistaken for a result.
// errors.Is(ErrGreenletExit, context.Canceled) is true.
var ErrGreenletExit = core.ErrGreenletExit

// ErrGreenletDone cancels a greenlet's context when its function returns,
// so that work derived from that context does not outlive it. It satisfies
// errors.Is(err, context.Canceled).
var ErrGreenletDone = core.ErrGreenletDone

// ErrLoopExit is returned by a wait of the main greenlet that nothing can ever
// complete: no greenlet is runnable, no timer is armed, no I/O or Blocking
// call is in flight, no Hold is taken, no other hub is running and no plain
// goroutine waits on the library (gevent's LoopExit, "this operation would
// block forever"). A goroutine that will wake a greenlet later is invisible
// to the hub: take Hold before starting it. Its text says so.
var ErrLoopExit = core.ErrLoopExit

// ErrHubClosed is the result of a greenlet started on a hub that has
// stopped. It satisfies errors.Is(err, context.Canceled).
var ErrHubClosed = core.ErrHubClosed

// PanicError is the error of a greenlet whose function panicked: the
// recovered value and the stack of the panic. Unwrap returns the value when
// it is an error.
type PanicError = core.PanicError
