package lock

import "context"

// Dummy is a semaphore that never blocks: gevent's DummySemaphore, for code
// that takes a semaphore but should run unbounded (a pool without a limit).
// Acquire and TryAcquire always succeed, Release does nothing, and it is
// always ready. The zero value is ready to use, and copies are harmless.
type Dummy struct{}

// Acquire returns nil at once, without switching, even when ctx is already
// cancelled (a unit is always free).
func (Dummy) Acquire(context.Context) error { return nil }

// TryAcquire reports true.
func (Dummy) TryAcquire() bool { return true }

// Release does nothing.
func (Dummy) Release() {}

// Wait returns 1 and nil at once (gevent's DummySemaphore.wait).
func (Dummy) Wait(context.Context) (int, error) { return 1, nil }

// Value returns 1: a unit is always free.
func (Dummy) Value() int { return 1 }

// Locked reports false.
func (Dummy) Locked() bool { return false }

// Ready reports true.
func (Dummy) Ready() bool { return true }

// OnReady calls f at once, on the calling goroutine; remove reports false.
func (Dummy) OnReady(f func()) (remove func() bool) {
	if f == nil {
		panic("gevent/lock: OnReady: nil f")
	}
	f()
	return func() bool { return false }
}
