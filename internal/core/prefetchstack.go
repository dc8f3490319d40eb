package core

// stackLines is how many cache lines below the top of a coroutine's stack
// prefetchStack brings in: the frames a greenlet's run, its body and a
// park in Sleep or a wait push below the coroutine's loop (about 1.5 KB).
// A coroutine taken from the free list, or a sleeper woken by a timer, has
// its stack out of the cache after thousands of others ran; without the
// prefetch every new frame pays a miss in turn.
const stackLines = 24

// prefetchStack prefetches the hot part of c's stack, once its loop has
// run (sp is set).
func (c *coro) prefetchStack() {
	sp := c.sp &^ 63
	if sp == 0 {
		return
	}
	for i := uintptr(0); i < stackLines; i++ {
		prefetch(sp - i*64)
	}
}
