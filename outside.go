package gevent

import (
	"context"
	"sync/atomic"
	"time"
)

// Hold tells ctx's hub that work outside it will come back: a goroutine that
// will set an AsyncResult, release a semaphore or spawn onto the hub later.
// Until release is called, a wait that nothing on the hub can end waits for
// that work instead of failing with ErrLoopExit (libev's ref, gevent's async
// watcher). The typical use is one line before the goroutine starts:
//
//	release := gevent.Hold(ctx)
//	go func() { defer release(); result.Set(compute()) }()
//	v, err := result.Get(ctx)
//
// release may be called from any goroutine, and more than once (only the
// first call counts). A Hold never released keeps the hub waiting, as a
// goroutine that never comes back would. ctx must carry a hub (a greenlet's
// context, Run's, or a Hub's Context).
func Hold(ctx context.Context) (release func()) {
	if ctx == nil {
		panic("gevent: Hold: nil ctx")
	}
	h := hubOf(ctx, "Hold")
	h.Hold()
	var done atomic.Bool
	return func() {
		if done.Swap(true) {
			return
		}
		h.Unhold()
		h.Post(func() {}) // wake the loop: with the hold gone, a wait may be a deadlock
	}
}

// AfterFunc runs f on ctx's hub once d has passed on the hub's clock, as a
// hub callback between greenlets, and returns a function that disarms it and
// reports whether it did (time.AfterFunc's shape). f must not block (a
// blocking call in it panics): it may spawn greenlets, set events, release
// semaphores. Unlike time.AfterFunc, the timer lives in the hub's own heap:
// it keeps the hub from ErrLoopExit while armed, and it follows the hub's
// clock. d ≤ 0 runs f in the hub's next timer pass; a d near math.MaxInt64
// never fires. ctx must carry a hub.
func AfterFunc(ctx context.Context, d time.Duration, f func()) (stop func() bool) {
	if ctx == nil {
		panic("gevent: AfterFunc: nil ctx")
	}
	if f == nil {
		panic("gevent: AfterFunc: nil f")
	}
	return hubOf(ctx, "AfterFunc").AfterFunc(d, f)
}
