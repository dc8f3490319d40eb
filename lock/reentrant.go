package lock

import (
	"context"
	"sync"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// notOwner is the panic of a Release by a caller that does not hold the
// lock (gevent's RuntimeError "cannot release un-acquired lock").
const notOwner = "gevent/lock: Reentrant released by a caller that does not hold it"

// Reentrant is a mutual-exclusion lock that the greenlet holding it may
// acquire again: gevent's RLock. Each Acquire by the owner must be matched by
// a Release; the lock is free when the last one is. The zero value is an
// unlocked lock, ready to use. A Reentrant must not be copied after first use.
//
// It is not called RLock because in Go RLock is the read-lock method of
// sync.RWMutex. The standard library leaves reentrancy out on purpose: a lock
// protects an invariant, and a function that may be entered with the lock
// held cannot know whether the invariant holds, so Go code splits such
// functions into a locking wrapper and a ...Locked body instead. Reentrant
// exists for code ported from gevent that relies on RLock.
//
// The owner is the greenlet running on ctx's hub (gevent.Current(ctx)). A
// plain goroutine has no identity that a ctx can carry, so calls made with a
// context that has no greenlet are not reentrant: such a caller holds the
// lock anonymously, a second Acquire by it waits like any other (it would
// wait forever for itself, as with sync.Mutex), and any plain goroutine may
// release an anonymously held lock, as any goroutine may unlock a
// sync.Mutex.
//
// All methods are safe to call from any goroutine and from greenlets of any
// hub. Waiters get the lock FIFO, as with Semaphore. A Release that frees the
// lock “synchronizes before” the return of the Acquire that takes it next.
type Reentrant struct {
	mu sync.Mutex // guards the fields below
	// owner is the holding greenlet; nil when free or held by a plain
	// goroutine. count is the number of Acquires not yet released.
	owner *core.G
	count int
	// sem has one unit while the lock is free; init records that the unit
	// was put there (the zero Semaphore has none).
	sem  Semaphore
	init bool
}

// enterLocked handles the cases that need no semaphore: the first use, and
// re-entry by the owner. It reports whether the caller re-entered.
func (r *Reentrant) enterLocked(g *core.G) bool {
	if !r.init {
		r.init = true
		r.sem.mu.Lock()
		r.sem.counter = 1
		r.sem.mu.Unlock()
	}
	if g != nil && r.owner == g && r.count > 0 {
		r.count++
		return true
	}
	return false
}

// Acquire takes the lock, or re-enters it when the calling greenlet holds
// it, and returns nil. A free lock is taken, and a held one re-entered, even
// when ctx is already cancelled: a call that need not wait does not look at
// ctx (gevent's rule; x/sync's semaphore.Weighted.Acquire does the
// opposite). When another caller holds it, the greenlet parks (a plain
// goroutine blocks) until it is free; when ctx ends first Acquire returns
// ctx's cause and the lock is as if it had never waited.
func (r *Reentrant) Acquire(ctx context.Context) error {
	if ctx == nil {
		panic("gevent/lock: Acquire: nil ctx")
	}
	g := core.Current(ctx)
	r.mu.Lock()
	if r.enterLocked(g) {
		r.mu.Unlock()
		return nil
	}
	r.mu.Unlock()
	if err := r.sem.acquireOn(ctx, waitReentrant, unsafe.Pointer(r)); err != nil {
		return err
	}
	r.own(g)
	return nil
}

// TryAcquire takes or re-enters the lock if it can without waiting, and
// reports whether it did.
func (r *Reentrant) TryAcquire(ctx context.Context) bool {
	if ctx == nil {
		panic("gevent/lock: TryAcquire: nil ctx")
	}
	g := core.Current(ctx)
	r.mu.Lock()
	if r.enterLocked(g) {
		r.mu.Unlock()
		return true
	}
	r.mu.Unlock()
	if !r.sem.TryAcquire() {
		return false
	}
	r.own(g)
	return true
}

func (r *Reentrant) own(g *core.G) {
	r.mu.Lock()
	r.owner, r.count = g, 1
	r.mu.Unlock()
}

// Release undoes one Acquire by the caller, and frees the lock when it undoes
// the last. It never blocks or switches. A Release by a caller that does not
// hold the lock (a greenlet that is not the owner, a plain goroutine while a
// greenlet holds it, anyone while it is free) is a bug in the caller, as an
// unlock of an unlocked sync.Mutex is, and as BoundedSemaphore's
// over-release is: it panics, changing nothing (gevent raises RuntimeError).
// An error would be dropped by the usual defer r.Release(ctx).
func (r *Reentrant) Release(ctx context.Context) {
	if ctx == nil {
		panic("gevent/lock: Release: nil ctx")
	}
	g := core.Current(ctx)
	r.mu.Lock()
	if r.count == 0 || r.owner != g {
		r.mu.Unlock() // panic with the lock released: nothing hangs
		panic(notOwner)
	}
	r.count--
	if r.count > 0 {
		r.mu.Unlock()
		return
	}
	r.owner = nil
	r.mu.Unlock()
	r.sem.Release()
}

// Locked reports whether the lock is held by anyone.
func (r *Reentrant) Locked() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	// The semaphore, not count: it also covers the instant between a
	// waiter getting the unit and recording itself as the owner.
	return r.init && r.sem.Locked()
}
