// Package lock provides gevent's locking primitives: Semaphore,
// BoundedSemaphore, Reentrant (gevent's RLock) and Dummy (gevent's
// DummySemaphore).
//
// # gevent names
//
//	gevent.lock.Semaphore(n)          NewSemaphore(n) (zero value: Semaphore(0))
//	  acquire() / acquire(timeout=t)  Acquire(ctx) error, with a ctx deadline
//	  acquire(blocking=False)         TryAcquire() bool
//	  release()                       Release()
//	  wait(timeout)                   Wait(ctx) (int, error)
//	  locked(), ready(), counter      Locked, Ready, Value
//	  rawlink/unlink                  OnReady (returns the unlink)
//	  with sem:                       if err := s.Acquire(ctx); ...; defer s.Release()
//	gevent.lock.BoundedSemaphore(n)   NewBoundedSemaphore(n); over-release panics
//	gevent.lock.RLock()               Reentrant (zero value), Acquire(ctx) /
//	                                  TryAcquire(ctx) / Release(ctx), Locked
//	gevent.lock.DummySemaphore()      Dummy
//
// # Differences from gevent
//
// timeout= is ctx: Acquire and Wait return ctx's cancellation cause when the
// greenlet is killed or a gevent.WithTimeout expires (gevent returns False on
// its own timeout), and check ctx before they park. They never switch when
// they can complete at once.
//
// gevent's locks belong to one thread's hub; these are safe from any
// goroutine and from greenlets of any hub. A greenlet parks (its hub runs
// others), a plain goroutine blocks. Wake-ups go through the waiting
// greenlet's hub, FIFO. Semaphore keeps gevent's rules exactly: a release
// wakes waiters one unit at a time from a notification pass on the hub, and
// each greenlet of that hub it wakes resumes inside the pass, before
// anything queued after the release; a free unit can be taken by anyone
// before that pass runs (barging); and a waiter that gave up never takes a
// unit with it. BoundedSemaphore and Reentrant are built on Semaphore and
// wake the same way. Wait's watchers and
// OnReady callbacks are woken before the acquirers of the same pass, rather
// than interleaved with them in one FIFO.
//
// A release that the caller has no right to make is a bug in the caller, and
// panics, as an unlock of an unlocked sync.Mutex does: BoundedSemaphore's
// over-release (gevent's ValueError) and Reentrant's release by a caller
// that does not hold it (gevent's RuntimeError).
//
// # Memory model
//
// A Release “synchronizes before” the return of any Acquire or Wait that it
// unblocks, and before any Acquire or TryAcquire that takes the unit it
// released.
package lock
