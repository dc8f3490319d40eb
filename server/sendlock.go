package server

import (
	"context"
	"sync"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// sendLock is a FIFO mutex whose waiters park their greenlet (or block their
// goroutine): DatagramServer's write lock, gevent's Semaphore around sendto.
// A sync.Mutex would not do: a greenlet holding it while its write parks
// would block the whole hub when the next greenlet tries to lock it.
//
// The zero value is unlocked.
type sendLock struct {
	mu      sync.Mutex // guards the fields below
	held    bool
	waiters core.WaitList
}

// lock acquires the lock, or returns ctx's cause if ctx ends first. The lock
// is handed directly to the first waiter on unlock, so it is never lost to a
// waiter that gave up.
func (l *sendLock) lock(ctx context.Context) error {
	l.mu.Lock()
	if !l.held {
		l.held = true
		l.mu.Unlock()
		return nil
	}
	w, err := core.PrepareOn(ctx, waitSendLock, unsafe.Pointer(l))
	if err != nil {
		l.mu.Unlock()
		return err
	}
	l.waiters.PushBack(w)
	l.mu.Unlock()
	err = w.Block(ctx)
	if err != nil {
		// Cancelled: Wake can no longer succeed on w, so unlock has passed
		// (or will pass) the lock to someone else.
		l.mu.Lock()
		l.waiters.Remove(w)
		l.mu.Unlock()
	}
	w.Release()
	return err
}

// unlock releases the lock, handing it to the first live waiter.
func (l *sendLock) unlock() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held {
		panic("gevent/server: internal error: unlock of unlocked sendLock")
	}
	if l.waiters.WakeOne() == nil {
		l.held = false
	}
}
