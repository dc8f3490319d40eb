package pool

import "runtime"

// schedEvery is how many items Map and Imap start between two visits of the
// Go scheduler (a power of two).
const schedEvery = 256

// schedPoint lets the Go scheduler run once every schedEvery items; i counts
// the items started.
//
// Why: a hub switches between its greenlets without entering the Go
// scheduler, so at GOMAXPROCS=1 the garbage collector's background mark
// worker, which only the scheduler runs, starves while a Map feeds its pool.
// Marking then crawls along on allocation assists, and every pointer store
// pays a write barrier for as long as it lasts: in pool_map the mark phase
// was on for about 40% of the wall time (1.5 ms of every 3.5 ms cycle for
// 0.1 ms of marking), and the barriers were a fifth of the samples. One
// runtime.Gosched every 256 items (well under a nanosecond an item) lets the
// worker finish each cycle within a few hundred items: about a fifth off
// pool_map. Gosched only yields the thread: no other greenlet of the hub
// runs meanwhile, so it changes no order of events (sim mode included).
func schedPoint(i int) {
	if i&(schedEvery-1) == schedEvery-1 {
		runtime.Gosched()
	}
}
