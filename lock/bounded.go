package lock

// BoundedSemaphore is a Semaphore that may not be released above its initial
// number of units: gevent's BoundedSemaphore, which catches a Release without
// a matching Acquire. Create one with NewBoundedSemaphore. It must not be
// copied after first use.
type BoundedSemaphore struct {
	Semaphore
	bound int // the initial count; set once by NewBoundedSemaphore
}

// NewBoundedSemaphore returns a bounded semaphore with n free units, which is
// also the most it may ever hold. n < 0 panics.
func NewBoundedSemaphore(n int) *BoundedSemaphore {
	if n < 0 {
		panic("gevent: NewBoundedSemaphore with a negative count")
	}
	return &BoundedSemaphore{Semaphore: Semaphore{counter: n}, bound: n}
}

// Release returns a unit like Semaphore.Release. It panics with
// "gevent: semaphore released too many times", leaving the semaphore as it
// was, when all units are already free.
//
// gevent raises ValueError here. In Go an unmatched release is the caller's
// bug, which the standard library reports with a panic (sync.Mutex's unlock
// of an unlocked mutex, x/sync/semaphore's "released more than held");
// a returned error would also give BoundedSemaphore a Release of a different
// shape from Semaphore's, so that code written against one could not take
// the other.
func (b *BoundedSemaphore) Release() {
	s := &b.Semaphore
	s.mu.Lock()
	if s.counter >= b.bound {
		s.mu.Unlock()
		panic("gevent: semaphore released too many times")
	}
	s.counter++
	s.notifyLocked()
}
