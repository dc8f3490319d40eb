// Package core is the machinery under the gevent packages: the hub loop, the
// greenlet core (G, which is also the greenlet's context), waiters, timers
// and the library's own cancellable contexts.
//
// # Writing a blocking primitive
//
// Every blocking call follows one pattern, which gives gevent's semantics
// (never switch when the call can complete at once; FIFO wake-ups; nothing
// handed to a waiter that gave up) and works for greenlets of any hub and for
// plain goroutines alike:
//
//	p.mu.Lock()
//	if p.canCompleteNow() { ...; p.mu.Unlock(); return nil }
//	w, err := core.PrepareOn(ctx, kind, unsafe.Pointer(p)) // ctx's cause if already cancelled
//	if err != nil { p.mu.Unlock(); return err }
//	p.waiters.PushBack(w)       // a core.WaitList guarded by p.mu
//	p.mu.Unlock()
//	err = w.Block(ctx)          // park until Wake or Cancel
//	if err != nil {             // cancelled: kill, timeout, ErrLoopExit
//		p.mu.Lock()
//		p.waiters.Remove(w) // false if a waker already popped it
//		p.mu.Unlock()
//	}
//	w.Release()
//	return err
//
// The waker, holding p.mu, calls p.waiters.WakeOne() (skips waiters that
// gave up) or WakeAll(), or pops a waiter and hands it something only if
// w.Wake() returns true. Rules: call Wake only while holding the lock under
// which the waiter removes itself; a greenlet's Waiter is reused for its next
// wait, and a late Wake would end that one instead. And once Wake has
// returned true, do not touch the waiter again (read what you need, such as
// w.Greenlet(), before): its owner may already run on another hub, end, and
// hand its waiter to another greenlet.
//
// PrepareOn records what a greenlet waits on, for dumps and the ErrLoopExit
// wait graph (waitrecord.go): a kind the primitive's package registered with
// RegisterWaitKind, in a package-level variable's initialiser, with a
// describer of its objects, and the object (Prepare records neither).
//
// PrepareOn returns the running greenlet's own Waiter when ctx belongs to a
// running hub (core.Current(ctx) != nil), and a pooled goroutine Waiter
// otherwise. Misuse it finds (a greenlet's context from a plain goroutine, a
// blocking call inside a hub callback) comes back as an already cancelled
// Waiter whose Block panics, after the primitive has released its lock.
// Block registers the waiter with every cancellable context in ctx's chain
// (a greenlet's kill, a TimerCtx's expiry, context.AfterFunc for foreign
// contexts), with the greenlet's timeout scopes (scope.go), and parks the
// greenlet through the hub.
//
// A waker that is itself a hub callback (a timer, the poller, a link
// notification, a function run with Post) uses WakeFrom(h) instead of Wake:
// the greenlets of h it wakes resume right after that callback, before
// anything queued after it, as gevent's callbacks switch into the waiter.
//
// # The hub
//
// Hub.ready queues a task (FIFO); drain runs tasks, including those added
// while it runs, until empty or the switch interval passes. A greenlet the
// drain resumed that parks while the drain's next task is another greenlet
// runs that one itself, on its own stack, in the drain's place (handoff.go):
// the same tasks in the same order, one coroutine switch a hand-over
// instead of two. Then iterate, in
// libev's order: the poller waits (I/O and outside wake-ups); when no
// callback, timer of priority 0 or I/O is due, the idle waiters resume; the
// due sleeps and delayed starts fire in deadline order, each resuming its
// greenlet inside it; the greenlets I/O woke resume; the due timeouts fire
// last. What all of them queue runs in the next drain. Hub.SetPoller
// installs an I/O poller (epoll for sockets).
package core
