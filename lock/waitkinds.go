package lock

import (
	"strconv"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// The kinds of wait this package parks greenlets in, with the describers a
// dump calls (on the hub goroutine, only while it dumps).
var (
	waitSemaphore     = core.RegisterWaitKind("semaphore", describeSemaphore)
	waitSemaphoreWait = core.RegisterWaitKind("semaphore.wait", describeSemaphore)
	waitReentrant     = core.RegisterWaitKind("lock", describeReentrant)
)

// describeSemaphore reports the free units and the waiters:
// "lock.Semaphore(0 free, 3 waiting)".
func describeSemaphore(obj unsafe.Pointer) core.WaitDetail {
	s := (*Semaphore)(obj)
	return core.WaitDetail{Object: "lock.Semaphore(" + s.stateText() + ")"}
}

func (s *Semaphore) stateText() string {
	s.mu.Lock()
	free, n := s.counter, s.acquirers.Len()+s.watchers.Len()
	s.mu.Unlock()
	return strconv.Itoa(free) + " free, " + strconv.Itoa(n) + " waiting"
}

// describeReentrant names the owner of a Reentrant lock: the one greenlet
// that can release it.
func describeReentrant(obj unsafe.Pointer) core.WaitDetail {
	r := (*Reentrant)(obj)
	r.mu.Lock()
	owner, count := r.owner, r.count
	r.mu.Unlock()
	if owner == nil || count == 0 {
		return core.WaitDetail{Object: "lock.Reentrant(" + r.sem.stateText() + ")"}
	}
	return core.WaitDetail{
		Object: "lock.Reentrant(owner " + owner.Label() + ", " + r.sem.stateText() + ")",
		Wakers: []*core.G{owner},
	}
}
