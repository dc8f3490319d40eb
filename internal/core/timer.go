package core

import (
	"math"
	"time"
	"unsafe"
)

// Clock is the hub's source of time: nanoseconds on a monotonic scale. Every
// hub uses realClock today; the interface is where a virtual clock will
// plug in (the simulation work), with an option to set it.
type Clock interface {
	Now() int64
}

// realClock measures from the hub's creation with the runtime's monotonic
// clock (time.Since takes the fast monotonic path).
type realClock struct{ base time.Time }

func (c realClock) Now() int64 { return int64(time.Since(c.base)) }

// Timer priorities, as in gevent's libev loop: sleeps and delayed starts fire
// before timeouts that expire in the same iteration.
const (
	prioNormal  = 0
	prioTimeout = -1
)

// timer is one entry of the hub's timer heap. Timers are owned by their
// greenlet, context or caller and reused. idx is the heap position plus one
// (0: not armed; -1: due, about to fire), guarded by Hub.tmu like the heap
// and when.
//
// due says the timer was collected as due and has not fired or been
// disarmed or re-armed since. It is guarded by Hub.tmu too, except for a
// sleep's timer (timerWake): only the sleeping greenlet arms and disarms
// that one, on its hub's goroutine, which also fires it, so fireDue reads
// and clears due (and idx, the timer being out of the heap) without the lock.
type timer struct {
	when int64
	idx  int32
	prio int8
	kind timerKind
	due  bool

	// sp is, for a sleep's timer (timerWake), an address in the frame
	// where the sleeper parked, for prefetchDue to bring its stack in
	// before the wake-up; only a hint. Written by the sleeping greenlet
	// before it arms the timer, read by the loop (see due).
	sp uintptr
}

// Every kind finds what it acts on from the timer's address, instead of a
// field each (24 bytes, not 40: the wait block, one per parked greenlet,
// is then a size class smaller): a timerWake or timerStart timer is the
// first field of a greenlet's waitBlock, a timerExpire one the t of a
// TimerCtx, a timerFunc one the t of a funcTimer.

// funcTimer is the timer of Hub.AfterFunc and its function.
type funcTimer struct {
	t timer // first: fire finds the funcTimer from it
	f func()
}

// owner returns the greenlet a timerWake or timerStart timer wakes or starts
// (nil for the other kinds, or for a wait block not in use).
func (t *timer) owner() *G {
	if t.kind != timerWake && t.kind != timerStart {
		return nil
	}
	return (*waitBlock)(unsafe.Pointer(t)).w.g
}

// timerCtx returns the TimerCtx a timerExpire timer is the t of.
func (t *timer) timerCtx() *TimerCtx {
	return (*TimerCtx)(unsafe.Add(unsafe.Pointer(t), -int(unsafe.Offsetof(TimerCtx{}.t))))
}

// timerKind says what firing a timer does.
type timerKind int8

const (
	timerFunc   timerKind = iota // run f on the hub
	timerWake                    // end g's Sleep
	timerStart                   // start g (SpawnLater)
	timerExpire                  // expire tc
)

// timerHeap is a 4-ary min-heap ordered by (when, seq). Each slot holds a
// copy of its timer's key, so that sifting compares slots of one array
// instead of loading a timer, which lives in its owner's memory and is
// usually out of the cache while it waits. A 4-ary heap halves the depth a
// pop walks for two more comparisons per level, within one or two cache
// lines.
type timerHeap []timerSlot

// timerSlot is one heap entry: a timer and its key.
type timerSlot struct {
	when int64
	seq  uint64
	t    *timer
}

func (s *timerSlot) before(u *timerSlot) bool {
	if s.when != u.when {
		return s.when < u.when
	}
	return s.seq < u.seq
}

// push adds t with key (t.when, seq).
func (h *timerHeap) push(t *timer, seq uint64) {
	*h = append(*h, timerSlot{t.when, seq, t})
	if n := len(*h); n > 1 {
		h.up(n - 1)
	} else {
		t.idx = 1
	}
}

func (h *timerHeap) remove(t *timer) {
	i := int(t.idx) - 1
	last := len(*h) - 1
	t.idx = 0
	if i == last {
		(*h)[last].t = nil
		*h = (*h)[:last]
		return
	}
	(*h)[i] = (*h)[last]
	(*h)[last].t = nil
	*h = (*h)[:last]
	if !h.down(i) {
		h.up(i)
	}
}

// popMin removes the first timer and returns it. It moves the hole left at
// the root down along the least children to a leaf and the last slot up
// from there (Floyd's method): the last slot usually belongs near the
// leaves, so this saves the comparison with it at every level.
func (h *timerHeap) popMin() *timer {
	s := *h
	t := s[0].t
	t.idx = 0
	n := len(s) - 1
	last := s[n]
	s[n].t = nil
	s = s[:n]
	*h = s
	if n == 0 {
		return t
	}
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if s[j].before(&s[m]) {
				m = j
			}
		}
		s[i] = s[m]
		s[i].t.idx = int32(i + 1)
		i = m
	}
	s[i] = last
	s.up(i)
	return t
}

// up moves slot i towards the root and records the final slots in the
// timers' idx.
func (h timerHeap) up(i int) {
	s := h[i]
	for i > 0 {
		p := (i - 1) / 4
		if !s.before(&h[p]) {
			break
		}
		h[i] = h[p]
		h[i].t.idx = int32(i + 1)
		i = p
	}
	h[i] = s
	s.t.idx = int32(i + 1)
}

// down moves slot i towards the leaves and reports whether it moved.
func (h timerHeap) down(i int) bool {
	start := i
	n := len(h)
	s := h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if h[j].before(&h[m]) {
				m = j
			}
		}
		if !h[m].before(&s) {
			break
		}
		h[i] = h[m]
		h[i].t.idx = int32(i + 1)
		i = m
	}
	h[i] = s
	s.t.idx = int32(i + 1)
	return i > start
}

// deadlineAfter is now+d on the hub clock, with d < 0 counted as zero and
// the sum saturated at math.MaxInt64: a duration near the maximum makes a
// timer that never fires, instead of one whose deadline wraps into the past
// and sorts before every other (context.WithTimeout behaves the same way).
func deadlineAfter(now int64, d time.Duration) int64 {
	if d <= 0 {
		return now
	}
	if int64(d) > math.MaxInt64-now {
		return math.MaxInt64
	}
	return now + int64(d)
}

// addTimer arms t to fire d from now. Safe from any goroutine: the heap has
// its own lock, and a hub asleep past the new deadline is woken.
func (h *Hub) addTimer(t *timer, d time.Duration) {
	t.when = deadlineAfter(h.clock.Now(), d)
	h.tmu.Lock()
	if t.idx > 0 {
		h.timers.remove(t)
	}
	t.due = false
	h.tseq++
	h.timers.push(t, h.tseq)
	first := h.timers[0].t == t
	h.tmu.Unlock()
	if first && h.sleeping.Load() {
		h.kick()
	}
}

// armTimer is addTimer for a timer that must not be armed already; it
// reports false, doing nothing, if it is.
func (h *Hub) armTimer(t *timer, d time.Duration) bool {
	when := deadlineAfter(h.loopNow(), d)
	h.tmu.Lock()
	if t.idx != 0 {
		h.tmu.Unlock()
		return false
	}
	t.when = when
	h.tseq++
	h.timers.push(t, h.tseq)
	first := h.timers[0].t == t
	h.tmu.Unlock()
	if first && h.sleeping.Load() {
		h.kick()
	}
	return true
}

// delTimer disarms t and reports whether it was armed.
func (h *Hub) delTimer(t *timer) bool {
	h.tmu.Lock()
	armed := t.idx != 0
	if t.idx > 0 {
		h.timers.remove(t)
	}
	t.idx = 0
	t.due = false
	h.tmu.Unlock()
	return armed
}

// nextTimer returns the earliest deadline, if any timer is armed.
func (h *Hub) nextTimer() (int64, bool) {
	h.tmu.Lock()
	defer h.tmu.Unlock()
	if len(h.timers) == 0 {
		return 0, false
	}
	return h.timers[0].when, true
}

// collectDue moves every timer due at the hub clock's current reading to
// h.due (sleeps, delayed starts, functions) or h.dueTimeouts (timeouts, which
// libev runs after everything of priority 0). A due timer is marked pending
// (idx -1) until it fires, so that a greenlet that runs in between can still
// disarm it: a timeout cancelled by the greenlet its sleep woke is never
// delivered, as in gevent.
func (h *Hub) collectDue() {
	now := h.refreshNow()
	h.tmu.Lock()
	for len(h.timers) > 0 && h.timers[0].when <= now {
		t := h.timers.popMin()
		t.idx = -1
		t.due = true
		if t.prio == prioTimeout {
			h.dueTimeouts = append(h.dueTimeouts, t)
		} else {
			h.due = append(h.due, t)
		}
	}
	h.tmu.Unlock()
}

// How far ahead of the timer it fires fireDue prefetches what waking a
// sleeper and, usually, ending it will touch: a sleeper has usually left the
// cache by the time it is due (thousands of others ran since), and waking
// them one by one would pay each miss in turn. Each stage reads what the
// previous one brought in: the greenlet's three lines, then its coroutine
// record (found in the greenlet), then the closure that resumes the
// coroutine (found in the record) and the sleeper's stack around where it
// parked (timer.sp: prefetchParked). The first stage brings in the timer
// itself, which collectDue touched, but long ago when many are due.
const (
	aheadTimer   = 8
	aheadG       = 4
	aheadCoro    = 2
	aheadClosure = 1
)

// prefetchDue issues the prefetches for the due timers at the distances
// above from index i (negative i: the ones before the first fires).
func (h *Hub) prefetchDue(due []*timer, i int) {
	if j := i + aheadTimer; j >= 0 && j < len(due) {
		prefetch(uintptr(unsafe.Pointer(due[j])))
	}
	if j := i + aheadG; j >= 0 && j < len(due) {
		if g := sleeper(due[j]); g != nil {
			p := uintptr(unsafe.Pointer(g))
			prefetch(p)
			prefetch(p + 64)
			prefetch(p + 128)
		}
	}
	if j := i + aheadCoro; j >= 0 && j < len(due) {
		if g := sleeper(due[j]); g != nil && g.co != nil {
			prefetch(uintptr(unsafe.Pointer(g.co)))
		}
		if t := due[j]; t.kind == timerWake {
			// The rest of the sleeper's wait block (160 bytes): its
			// waiter, which the wake-up and the end touch.
			p := uintptr(unsafe.Pointer(t))
			prefetch(p + 64)
			prefetch(p + 128)
		}
	}
	if j := i + aheadClosure; j >= 0 && j < len(due) {
		if g := sleeper(due[j]); g != nil && g.co != nil {
			prefetch(*(*uintptr)(unsafe.Pointer(&g.co.next)))
			prefetchParked(due[j].sp)
		}
	}
}

// sleeper returns the greenlet a due timer will wake, if it is a sleep's
// that is still due (such a timer is loop-only: see timer.due).
func sleeper(t *timer) *G {
	if t.kind != timerWake || !t.due {
		return nil
	}
	return (*waitBlock)(unsafe.Pointer(t)).w.g
}

// fireDue fires the timers collected as due that are still due: one that a
// greenlet run earlier in this pass disarmed or re-armed is skipped.
func (h *Hub) fireDue(due []*timer) {
	for i := -aheadTimer; i < 0; i++ {
		h.prefetchDue(due, i)
	}
	for i, t := range due {
		h.prefetchDue(due, i)
		due[i] = nil
		if t.kind == timerWake {
			if !t.due { // lock-free: see timer.due
				continue
			}
			t.due, t.idx = false, 0
		} else {
			h.tmu.Lock()
			pending := t.due
			if pending {
				t.due, t.idx = false, 0
			}
			h.tmu.Unlock()
			if !pending {
				continue
			}
		}
		if h.sim != nil {
			h.sim.timer(t)
		}
		h.fire(t)
	}
}

// fire runs one due timer. The greenlet it wakes or starts runs right here,
// inside the timer's callback, as in gevent.
func (h *Hub) fire(t *timer) {
	switch t.kind {
	case timerWake:
		if g := t.owner(); g.wb.w.transition(0, waitWoken) {
			h.switchTo(g)
		}
	case timerExpire:
		h.inPass = true
		t.timerCtx().expireFrom(h)
		h.inPass = false
		h.resumeDirect()
	case timerStart:
		if g := t.owner(); g.State() == StateScheduled {
			h.switchTo(g)
		}
	case timerFunc:
		h.runPass((*funcTimer)(unsafe.Pointer(t)).f)
	}
}
