package core

// stackLines is how many cache lines of a coroutine's stack prefetchStack
// brings in, from the line above the top frame (loop's) down: the frames a
// greenlet's run, its body and a park in Sleep push below loop (about 700
// bytes: 480 from loop to Hub.Sleep, then the switch's frames). A coroutine
// taken from the free list, or a sleeper woken by a timer, has its stack
// out of the cache after thousands of others ran; without the prefetch
// every frame pays a miss in turn.
const stackLines = 14

// prefetchStack prefetches the hot part of c's stack, once its loop has
// run (sp is set).
func (c *coro) prefetchStack() {
	if c.sp != 0 {
		prefetchDown(c.sp&^63+64, stackLines)
	}
}
