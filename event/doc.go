// Package event provides gevent's notification primitives: Event, a flag
// that greenlets and goroutines wait for, and AsyncResult, a single value or
// error that they wait for (a future).
//
// # gevent names
//
//	gevent.event.Event            Event (zero value ready to use)
//	  set() / clear() / is_set()  Set / Clear / IsSet
//	  wait(timeout)               Wait(ctx) error
//	  ready(), rawlink/unlink     Ready, OnReady (returns the unlink)
//	gevent.event.AsyncResult      AsyncResult[T]
//	  set(v) / set_exception(e)   Set(v) / SetError(err)
//	  get(timeout)                Get(ctx) (T, error)
//	  get(block=False)            TryGet() (T, bool), and Err()
//	  wait(timeout)               Wait(ctx) error
//	  ready(), successful()       Ready, Successful
//	  value, exception            Value, Err
//	  greenlet.link(async_result) AsyncResult.SetFrom(g)
//
// # Differences from gevent
//
// timeout= is ctx: a blocking call returns ctx's cancellation cause when the
// greenlet is killed or a gevent.WithTimeout expires, and checks ctx before
// it parks (cancellation is level-triggered). Wait reports success as a nil
// error rather than True, and never returns an AsyncResult's stored error;
// Get returns it as its error.
//
// gevent's objects belong to one thread's hub; these are safe from any
// goroutine and from greenlets of any hub. A greenlet parks (its hub runs
// others), a plain goroutine blocks. Wake-ups of greenlets go through their
// hub's FIFO callback queue, in the order the waiters started waiting.
//
// As in gevent, Set does not switch; the greenlets it wakes run when the
// setter next switches. OnReady callbacks (gevent's rawlink) run on the
// goroutine that calls Set, before Set returns, rather than from a hub
// callback; they run after the waiters have been woken. A greenlet that calls
// Wait on a set object whose Set has woken greenlets that have not run yet
// waits for them to run first, in the same pass of the hub (gevent's issue
// 1520 rule).
//
// # Memory model
//
// A call to Set (or SetError) “synchronizes before” the return of any Wait or
// Get that it unblocks, and before any call that observes its effect
// (IsSet, Ready, TryGet, Value, Err).
package event
