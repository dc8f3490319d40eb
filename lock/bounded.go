package lock

import "context"

// BoundedSemaphore is a Semaphore that may not be released above its initial
// number of units: gevent's BoundedSemaphore, which catches a Release without
// a matching Acquire. Create one with NewBoundedSemaphore (the zero value has
// no units and a bound of zero). It must not be copied after first use.
//
// Its methods behave as Semaphore's, with the same wake-up rules and
// memory-model guarantees; only Release differs.
type BoundedSemaphore struct {
	// s is not embedded, so that Semaphore's unchecked Release cannot be
	// reached through it.
	s     Semaphore
	bound int // the initial count; set once by NewBoundedSemaphore
}

// NewBoundedSemaphore returns a bounded semaphore with n free units, which is
// also the most it may ever hold. n < 0 panics.
func NewBoundedSemaphore(n int) *BoundedSemaphore {
	if n < 0 {
		panic("gevent/lock: NewBoundedSemaphore with a negative count")
	}
	return &BoundedSemaphore{s: Semaphore{counter: n}, bound: n}
}

// Release returns a unit like Semaphore.Release. It panics with
// "gevent/lock: semaphore released too many times", leaving the semaphore as it
// was, when all units are already free.
//
// gevent raises ValueError here. In Go an unmatched release is the caller's
// bug, which the standard library reports with a panic (sync.Mutex's unlock
// of an unlocked mutex, x/sync/semaphore's "released more than held");
// a returned error would also give BoundedSemaphore a Release of a different
// shape from Semaphore's, so that code written against one could not take
// the other.
func (b *BoundedSemaphore) Release() {
	s := &b.s
	s.mu.Lock()
	if s.counter >= b.bound {
		s.mu.Unlock()
		panic("gevent/lock: semaphore released too many times")
	}
	s.counter++
	s.notifyLocked()
}

// Acquire is Semaphore.Acquire: a free unit is taken even when ctx is
// already cancelled.
func (b *BoundedSemaphore) Acquire(ctx context.Context) error { return b.s.Acquire(ctx) }

// TryAcquire is Semaphore.TryAcquire.
func (b *BoundedSemaphore) TryAcquire() bool { return b.s.TryAcquire() }

// Wait is Semaphore.Wait.
func (b *BoundedSemaphore) Wait(ctx context.Context) (int, error) { return b.s.Wait(ctx) }

// Value is Semaphore.Value.
func (b *BoundedSemaphore) Value() int { return b.s.Value() }

// Locked is Semaphore.Locked.
func (b *BoundedSemaphore) Locked() bool { return b.s.Locked() }

// Ready is Semaphore.Ready.
func (b *BoundedSemaphore) Ready() bool { return b.s.Ready() }

// OnReady is Semaphore.OnReady.
func (b *BoundedSemaphore) OnReady(f func()) (remove func() bool) { return b.s.OnReady(f) }
