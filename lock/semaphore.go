package lock

import (
	"context"
	"sync"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// Semaphore is a counter of units that greenlets and goroutines acquire and
// release: gevent's Semaphore. Acquire takes a unit, waiting while there is
// none; Release gives one back. The counter has no owner: any goroutine or
// greenlet may release. Create one with NewSemaphore; the zero value is a
// semaphore with no units (gevent's Semaphore(0)), ready to use. A Semaphore
// must not be copied after first use.
//
// All methods are safe to call from any goroutine and from greenlets of any
// hub. Only Acquire and Wait can block.
//
// # Wake-ups and barging
//
// Waiters get units one at a time, in the order they started waiting.
// Release does not hand a unit over by itself: like gevent's, it schedules a
// notification pass on the hub of the first waiting greenlet, which runs
// after the releasing greenlet next switches. The pass hands each waiter its
// unit under the semaphore's lock, as part of waking it, so a woken waiter
// never finds its unit gone, and a waiter that was killed or timed out before
// the pass reached it gets nothing (the unit goes to the next one). The
// greenlets of that hub that the pass wakes resume inside it, one after
// another, before anything queued after the Release (gevent's notifier
// switches to each waiter in turn); a waiting greenlet of another hub is
// queued on its own hub. Until the
// pass runs, the released units are free for anyone: a greenlet that calls
// Release and then TryAcquire or Acquire before switching gets its unit back
// and the waiters stay queued (gevent allows this barging; FIFO fairness holds
// among the callers that actually waited). When the first waiter is a plain
// goroutine there is no hub to run the pass on, and Release hands the units
// out itself.
//
// A call to Release “synchronizes before” the return of the Acquire or Wait
// that it unblocks, and before any Acquire or TryAcquire that takes the unit
// it released.
type Semaphore struct {
	mu sync.Mutex // guards every field below
	// counter is the number of free units (gevent's counter).
	counter int
	// acquirers are parked in Acquire, FIFO; watchers in Wait.
	acquirers core.WaitList
	watchers  core.WaitList
	// links are the OnReady callbacks, FIFO.
	links core.CallbackList
	// posted is set while a notification pass is queued on passHub and has
	// not run yet; passFn is that pass, made once (a method value
	// allocates).
	posted  bool
	passHub *core.Hub
	passFn  func()
}

// NewSemaphore returns a semaphore with n free units. n < 0 panics.
func NewSemaphore(n int) *Semaphore {
	if n < 0 {
		panic("gevent/lock: NewSemaphore with a negative count")
	}
	return &Semaphore{counter: n}
}

// TryAcquire takes a unit if one is free and reports whether it did, without
// blocking or switching (gevent's acquire(blocking=False)).
func (s *Semaphore) TryAcquire() bool {
	s.mu.Lock()
	if s.counter > 0 {
		s.counter--
		s.mu.Unlock()
		return true
	}
	s.mu.Unlock()
	return false
}

// Acquire takes a unit, waiting for one when none is free. When a unit is
// free it takes it at once, without switching, even if others are waiting
// (see Semaphore), and even when ctx is already cancelled: a call that need
// not wait does not look at ctx (gevent's rule; x/sync's
// semaphore.Weighted.Acquire does the opposite). Otherwise the calling
// greenlet parks (a plain goroutine blocks) until a unit is handed to it,
// and Acquire returns nil; when ctx ends first (the greenlet is killed, a
// timeout expires) it returns ctx's cause and the semaphore is as if it had
// never waited.
func (s *Semaphore) Acquire(ctx context.Context) error {
	if ctx == nil {
		panic("gevent/lock: Acquire: nil ctx")
	}
	return s.acquireOn(ctx, waitSemaphore, unsafe.Pointer(s))
}

// acquireOn is Acquire recording a wait of kind on obj (a Reentrant records
// itself, so that a dump names its owner).
func (s *Semaphore) acquireOn(ctx context.Context, kind core.WaitKind, obj unsafe.Pointer) error {
	s.mu.Lock()
	if s.counter > 0 {
		s.counter--
		s.mu.Unlock()
		return nil
	}
	return s.waitLocked(ctx, &s.acquirers, kind, obj)
}

// waitLocked parks the caller on list until a pass wakes it. It is entered
// with mu held and returns with mu released.
func (s *Semaphore) waitLocked(ctx context.Context, list *core.WaitList, kind core.WaitKind, obj unsafe.Pointer) error {
	w, err := core.PrepareOn(ctx, kind, obj)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	list.PushBack(w)
	s.mu.Unlock()
	if err = w.Block(ctx); err != nil {
		// Remove is false when a pass popped w and lost the race to the
		// cancellation (Wake failed): then it handed w nothing.
		s.mu.Lock()
		list.Remove(w)
		s.mu.Unlock()
	}
	w.Release()
	return err
}

// Release returns a unit and wakes the first waiter (see Semaphore for when).
// It never blocks or switches. Releasing more units than were acquired is
// allowed, as in gevent; use BoundedSemaphore to catch it.
func (s *Semaphore) Release() {
	s.mu.Lock()
	s.counter++
	s.notifyLocked()
}

// notifyLocked makes a released unit known: nothing to do when nobody waits
// or a pass is already queued; a pass posted to the first waiting greenlet's
// hub; or, with a plain goroutine first, the pass run here. It is entered
// with mu held and returns with mu released.
func (s *Semaphore) notifyLocked() {
	if s.posted || (s.acquirers.Len() == 0 && s.watchers.Len() == 0 && s.links.Empty()) {
		s.mu.Unlock()
		return
	}
	w := s.acquirers.Front()
	if w == nil {
		w = s.watchers.Front()
	}
	if w != nil && w.Greenlet() != nil {
		if s.passFn == nil {
			s.passFn = s.pass
		}
		s.posted = true
		f, h := s.passFn, w.Greenlet().Hub()
		s.passHub = h
		s.mu.Unlock()
		h.Post(f) // on a closed hub, f runs here at once
		return
	}
	links := s.passLocked(nil)
	s.mu.Unlock()
	core.RunCallbacks(&s.mu, links)
}

// pass is the notification pass queued on a hub by Release. The greenlets of
// that hub it wakes resume as soon as it returns, before anything queued
// after the Release (gevent's notifier switches to each waiter in turn).
func (s *Semaphore) pass() {
	s.mu.Lock()
	s.posted = false
	h := s.passHub
	s.passHub = nil
	links := s.passLocked(h)
	s.mu.Unlock()
	core.RunCallbacks(&s.mu, links)
}

// passLocked wakes, while units are free, every watcher, and acquirers one at
// a time FIFO, handing each its unit as part of the wake. A waiter whose
// Wake fails has given up and gets nothing. It returns the OnReady callbacks
// to run (without mu) when units were free. from is the hub running the pass
// (see core.Waiter.WakeFrom), or nil.
func (s *Semaphore) passLocked(from *core.Hub) *core.Callback {
	if s.counter <= 0 {
		return nil
	}
	for w := s.watchers.PopFront(); w != nil; w = s.watchers.PopFront() {
		w.WakeFrom(from)
	}
	links := s.links.TakeAll()
	for s.counter > 0 {
		w := s.acquirers.PopFront()
		if w == nil {
			break
		}
		if w.WakeFrom(from) {
			s.counter--
		}
	}
	return links
}

// Wait waits until a unit is free, without taking it, and returns the number
// of free units when it returns (which may be 0 again by then: gevent's
// wait). It returns at once, without switching, when a unit is free. When ctx
// ends first it returns 0 and ctx's cause.
func (s *Semaphore) Wait(ctx context.Context) (int, error) {
	if ctx == nil {
		panic("gevent/lock: Wait: nil ctx")
	}
	s.mu.Lock()
	if s.counter > 0 {
		n := s.counter
		s.mu.Unlock()
		return n, nil
	}
	if err := s.waitLocked(ctx, &s.watchers, waitSemaphoreWait, unsafe.Pointer(s)); err != nil {
		return 0, err
	}
	return s.Value(), nil
}

// Value returns the number of free units (gevent's counter).
func (s *Semaphore) Value() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counter
}

// Locked reports whether no unit is free, so that Acquire would wait.
func (s *Semaphore) Locked() bool { return s.Value() <= 0 }

// Ready reports whether a unit is free (gevent's ready()); with OnReady it
// makes a Semaphore a gevent.Waitable.
func (s *Semaphore) Ready() bool { return s.Value() > 0 }

// OnReady arranges for f to be called once, the next time a unit is free: by
// the notification pass, on the hub of the first waiting greenlet, or on the
// goroutine that calls Release (at once, on the calling goroutine, if a unit
// is free now). f must not block. remove unregisters f and reports whether it
// was still pending: then f never runs, even when the notification has begun
// (a callback may remove a later one, as with gevent's unlink). A panic of f
// goes on after the other callbacks have run. With Ready it makes a Semaphore
// a gevent.Waitable, for gevent.Wait and gevent.Iwait.
func (s *Semaphore) OnReady(f func()) (remove func() bool) {
	if f == nil {
		panic("gevent/lock: OnReady: nil f")
	}
	s.mu.Lock()
	if s.counter > 0 {
		s.mu.Unlock()
		f()
		return func() bool { return false }
	}
	l := core.NewCallback(f)
	s.links.PushBack(l)
	s.mu.Unlock()
	return func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.links.Remove(l)
	}
}
