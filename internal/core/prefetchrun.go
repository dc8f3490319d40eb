package core

import "unsafe"

// aheadRun is how many tasks ahead of the one it runs drain prefetches the
// greenlet of a task. A batch of starts reaches greenlets spawned long
// before (a spawner that queues thousands has written them all out of the
// cache since), and each start then touches most of its greenlet's lines:
// its state and coroutine, its body, its context's cancellation and, when it
// ends, its result, end number, links and live-set slot. A few hundred
// nanoseconds of work per task hides the misses of the next ones.
const aheadRun = 4

// prefetchRun issues the prefetches for batch[i]'s greenlet, if there is
// one: the first three of the cache lines its handle spans (a G is 152
// bytes, the handle that holds it 160 or more, not always line-aligned).
func prefetchRun(batch []task, i int) {
	if i < len(batch) {
		if g := batch[i].g(); g != nil {
			p := uintptr(unsafe.Pointer(g))
			prefetch(p)
			prefetch(p + 64)
			prefetch(p + 128)
		}
	}
}
