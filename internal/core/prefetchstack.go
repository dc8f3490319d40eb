package core

import "unsafe"

// A greenlet's stack leaves the cache while thousands of others run: a
// coroutine put back on the free list after a pass of timers ended
// thousands of sleepers, a sleeper parked while a drain started thousands
// of greenlets. Without a prefetch, each frame a starting greenlet pushes,
// or a woken one returns through, pays its miss in turn; with one, the
// misses overlap. The addresses come from the hub (Hub.freeSP) and from the
// sleep's timer (timer.sp), not from the coroutine record, which stays at
// 32 bytes (one per parked greenlet: memory_parked).

// stackLines is how many cache lines of a coroutine's stack prefetchStack
// brings in, from the line above the top frame (loop's) down: the frames a
// greenlet's run, its body and a park in Sleep push below loop (about 700
// bytes: 480 from loop to Hub.Sleep, then the switch's frames).
const stackLines = 14

// prefetchStack prefetches the hot part of the stack whose top frame (a
// coroutine's loop) holds sp (0: unknown, nothing to do).
func prefetchStack(sp uintptr) {
	if sp != 0 {
		prefetchDown(sp&^63+64, stackLines)
	}
}

// Around the frame where a sleeper parked (stackMark in Hub.Sleep),
// prefetchParked brings in parkedAbove bytes of the frames above it, up to
// the coroutine's loop, which the wake-up returns through, and the lines
// below it to parkedLines in all: the switch's frames.
const (
	parkedAbove = 512
	parkedLines = 12
)

// prefetchParked prefetches the stack around sp, an address stackMark took
// in the frame where a greenlet parked (0: nothing to do).
func prefetchParked(sp uintptr) {
	if sp != 0 {
		prefetchDown(sp&^63+parkedAbove, parkedLines)
	}
}

// stackMark returns an address in its caller's frame (it inlines), for
// prefetchParked.
func stackMark() uintptr {
	var m byte
	return uintptr(unsafe.Pointer(&m))
}
