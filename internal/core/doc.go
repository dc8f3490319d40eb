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
//	w, err := core.Prepare(ctx) // ctx's cause if already cancelled
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
// Prepare returns the running greenlet's own Waiter when ctx belongs to a
// running hub (core.Current(ctx) != nil), and a pooled goroutine Waiter
// otherwise. Block registers the waiter with every cancellable context in
// ctx's chain (a greenlet's kill, a TimerCtx's expiry, context.AfterFunc for
// foreign contexts) and parks the greenlet through the hub.
//
// # The hub
//
// Hub.ready queues a task (FIFO); drain runs tasks, including those added
// while it runs, until empty or the switch interval passes; then the poller
// waits (I/O and outside wake-ups), due timers fire (sleeps and delayed
// starts first, then timeouts), and idle waiters wake when nothing else
// happened. Hub.SetPoller installs an I/O poller (epoll for sockets).
package core
