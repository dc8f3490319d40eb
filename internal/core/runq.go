package core

// The hub's run queue: its entries (task) and how it grows.

import "unsafe"

// taskKind says what a task does.
type taskKind uint8

const (
	taskRun    taskKind = iota // start or resume g
	taskNotify                 // run g's links
	taskFunc                   // run f
)

// task is one entry of the hub's FIFO callback queue: 16 bytes, one pointer
// word. A burst of spawns grows the queue to its size, and the memory it
// touches, the collector's scan of it and the write barrier of each queued
// task are per word (a task held a *G and a func() before: 24 bytes, two
// pointer words; spawn_join's cold 100k batch on two hubs went from 318 to
// 275 ns, 14 interleaved rounds).
type task struct {
	// p is the greenlet of a taskRun or taskNotify (runTask, notifyTask)
	// or the closure of a taskFunc's function (funcTask): read it through
	// g and f, which kind chooses between.
	p    unsafe.Pointer
	kind taskKind
	// src is who queued the task in a PerSource simulation (the spawn
	// sequence number of the running greenlet; 0: the hub). It fits in
	// the padding: a task stays 16 bytes.
	src uint32
}

// runTask starts or resumes g; notifyTask runs g's links.
func runTask(g *G) task    { return task{p: unsafe.Pointer(g)} }
func notifyTask(g *G) task { return task{p: unsafe.Pointer(g), kind: taskNotify} }

// funcTask runs f. A func value is one pointer (to its closure), which the
// task keeps as it is: the collector sees it as the pointer it is.
func funcTask(f func()) task {
	return task{p: *(*unsafe.Pointer)(unsafe.Pointer(&f)), kind: taskFunc}
}

// g is the greenlet of a taskRun or taskNotify; nil for a taskFunc.
func (t *task) g() *G {
	if t.kind == taskFunc {
		return nil
	}
	return (*G)(t.p)
}

// f is the function of a taskFunc.
func (t *task) f() func() { return *(*func())(unsafe.Pointer(&t.p)) }

// How the run queue grows. A burst of spawns or wake-ups queues as many tasks
// as it has greenlets before the hub drains any (gevent's rule: a spawned
// greenlet starts when its spawner yields), and the queue grows to that
// size. Copying it into an array twice as large at each doubling touched
// twice the memory the tasks need and, during a collection, paid a write
// barrier per pointer copied (14% of spawn_join's cold 100k batch on two
// hubs in a profile). Past segmentMin tasks the queue no longer copies: a full
// array is kept as a segment, oldest first, and the tasks that follow go to
// a new array twice its size. The drain takes a batch's segments in order,
// so the order of the tasks is the order they were queued, as before.
//
// The largest segment, the last of a batch, becomes the next run queue
// (swapBatch), so a hub whose bursts repeat stops making segments after the
// first. A simulated hub keeps one array: its ordering hooks see a whole
// batch at once (sim.batch).

// segmentMin is the smallest run queue that grows by segments; a smaller
// one doubles by copying, as before segments (a few KiB: the copies are
// small, and most hubs never queue more).
const segmentMin = 4096

// queueLocked appends t to the run queue; h.mu held.
func (h *Hub) queueLocked(t task) {
	if len(h.runq) == cap(h.runq) {
		h.growLocked()
	}
	h.runq = append(h.runq, t) // (room made: never grows here)
}

// growLocked is queueLocked's slow path, for a full queue: past segmentMin
// tasks it keeps the queue as a segment and gives it a new array twice its
// size, unless the hub is simulated; otherwise it copies the queue into an
// array twice its size. (append grows a large slice by about 1.25x: a burst
// of 100k tasks would be copied some twenty times, five times its final
// size in all; doubling took spawn_join's cold batch from 631 to 457 ns
// before segments.)
func (h *Hub) growLocked() {
	n := len(h.runq)
	if n >= segmentMin && h.sim == nil {
		h.runqFull = append(h.runqFull, h.runq)
		h.runq = make([]task, 0, 2*n)
		return
	}
	grown := make([]task, n, max(2*n, 16))
	copy(grown, h.runq)
	h.runq = grown
}

// swapBatch makes the tasks queued since the last swap the drain's batch
// (the spent batch's array becomes the run queue) and reports whether there
// are any. Loop-only.
func (h *Hub) swapBatch() bool {
	h.batch = h.batch[:0] // (each slot was zeroed when popped)
	h.bi = 0
	h.mu.Lock()
	h.batch, h.runq = h.runq, h.batch
	full := h.runqFull
	h.runqFull = nil
	h.mu.Unlock()
	if full != nil {
		// A burst outgrew the queue: its oldest tasks are in the full
		// segments, its newest in batch.
		h.batchRest = append(full[1:], h.batch)
		h.batch = full[0]
	}
	return len(h.batch) > 0
}

// nextSegment moves the drain to the batch's next segment when it has run
// the last task of this one, so that bi >= len(batch) keeps meaning that
// the batch is done. Loop-only; called after each pop.
func (h *Hub) nextSegment() {
	if h.bi < len(h.batch) || h.batchRest == nil {
		return
	}
	h.batch = h.batchRest[0]
	h.bi = 0
	if len(h.batchRest) == 1 {
		h.batchRest = nil
	} else {
		h.batchRest[0] = nil
		h.batchRest = h.batchRest[1:]
	}
}

// queuedLocked counts the tasks queued and not yet run (snapshots); h.mu
// held, on the hub's goroutine.
func (h *Hub) queuedLocked() int {
	n := len(h.runq) + len(h.batch) - h.bi
	for _, s := range h.runqFull {
		n += len(s)
	}
	for _, s := range h.batchRest {
		n += len(s)
	}
	return n
}

// takeQueuedLocked empties the run queue and returns its tasks in order (a
// closing hub runs what is left); h.mu held.
func (h *Hub) takeQueuedLocked() []task {
	rest := h.runq
	if h.runqFull != nil {
		var all []task
		for _, s := range h.runqFull {
			all = append(all, s...)
		}
		rest = append(all, rest...)
	}
	h.runq, h.runqFull = nil, nil
	return rest
}
