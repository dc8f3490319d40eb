package core

import (
	"math"
	"time"
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
type timer struct {
	when int64
	seq  uint64
	idx  int32
	prio int8
	kind timerKind

	g  *G        // timerWake: wake g's sleep; timerStart: start g
	tc *TimerCtx // timerExpire
	f  func()    // timerFunc
}

// timerKind says what firing a timer does.
type timerKind int8

const (
	timerFunc   timerKind = iota // run f on the hub
	timerWake                    // end g's Sleep
	timerStart                   // start g (SpawnLater)
	timerExpire                  // expire tc
)

func (t *timer) before(u *timer) bool {
	if t.when != u.when {
		return t.when < u.when
	}
	return t.seq < u.seq
}

// timerHeap is a binary min-heap ordered by (when, seq).
type timerHeap []*timer

func (h *timerHeap) push(t *timer) {
	*h = append(*h, t)
	t.idx = int32(len(*h))
	h.up(len(*h) - 1)
}

func (h *timerHeap) remove(t *timer) {
	i := int(t.idx) - 1
	last := len(*h) - 1
	if i != last {
		(*h)[i] = (*h)[last]
		(*h)[i].idx = int32(i + 1)
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	if i != last {
		if !h.down(i) {
			h.up(i)
		}
	}
	t.idx = 0
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].before(h[p]) {
			break
		}
		h.swap(i, p)
		i = p
	}
}

func (h timerHeap) down(i int) bool {
	start := i
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].before(h[l]) {
			m = r
		}
		if !h[m].before(h[i]) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = int32(i + 1)
	h[j].idx = int32(j + 1)
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
	h.tseq++
	t.seq = h.tseq
	h.timers.push(t)
	first := h.timers[0] == t
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
	t.seq = h.tseq
	h.timers.push(t)
	first := h.timers[0] == t
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
		t := h.timers[0]
		h.timers.remove(t)
		t.idx = -1
		if t.prio == prioTimeout {
			h.dueTimeouts = append(h.dueTimeouts, t)
		} else {
			h.due = append(h.due, t)
		}
	}
	h.tmu.Unlock()
}

func (h *Hub) fireDue(due []*timer) {
	for i, t := range due {
		due[i] = nil
		h.tmu.Lock()
		pending := t.idx == -1
		if pending {
			t.idx = 0
		}
		h.tmu.Unlock()
		if pending {
			h.fire(t)
		}
	}
}

// fire runs one due timer. The greenlet it wakes or starts runs right here,
// inside the timer's callback, as in gevent.
func (h *Hub) fire(t *timer) {
	switch t.kind {
	case timerWake:
		if g := t.g; g.wb.w.transition(0, waitWoken) {
			h.switchTo(g)
		}
	case timerExpire:
		h.inPass = true
		t.tc.expireFrom(h)
		h.inPass = false
		h.resumeDirect()
	case timerStart:
		if g := t.g; g.State() == StateScheduled {
			h.switchTo(g)
		}
	case timerFunc:
		h.runPass(t.f)
	}
}
