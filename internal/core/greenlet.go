package core

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// State is the life-cycle state of a greenlet.
//
//	New ──Start──▶ Scheduled ──first switch──▶ Running ──body returns──▶ Dead
//	 │                 │
//	 └──────Kill───────┴──────────────────────────────────────────────▶ Dead
//
// Dead is terminal. A greenlet killed before its first switch never runs.
type State uint32

const (
	StateNew       State = iota // created, not started
	StateScheduled              // start queued (or delayed by a timer)
	StateRunning                // started: running or parked
	StateDead                   // finished, or killed before it started
)

// String names the state.
func (s State) String() string {
	switch s {
	case StateNew:
		return "new"
	case StateScheduled:
		return "scheduled"
	case StateRunning:
		return "running"
	case StateDead:
		return "dead"
	}
	return "invalid"
}

// G is the untyped core of a greenlet. It is also the greenlet's
// context.Context. The root package's Greenlet[T] holds it in a Handle.
//
// The field order is a measured choice: a greenlet is usually out of the
// cache when the hub starts or wakes it (thousands of others ran since), so
// what a start, a park and a wake-up touch fills the first 64 bytes: the
// hub, coroutine, wait block, body and state, then the canceler's own slot
// and cancelled flag, and the live-set slot. The fields the greenlet's end
// touches follow; what only the spawn and the rare paths touch comes last.
// A handle is 160 bytes (the size class below 192), so every other one
// starts half-way through a cache line: the drain prefetches the lines of
// the greenlets it is about to start (prefetchRun), and 32 bytes less per
// greenlet measured better than the alignment (docs/performance.md, fifth
// pass). Pinned by TestSizes.
type G struct {
	hub *Hub

	// co is loop-only: touched by the hub goroutine and by the greenlet
	// while it runs (the two never run at once).
	co *coro

	// wb is the greenlet's waiter and timer, allocated on its first wait
	// or delayed start (a greenlet that never waits stays small). Written
	// before the greenlet starts or by the greenlet itself.
	wb *waitBlock

	// body runs the greenlet's function and records its typed result (it
	// is also the typed handle).
	body Runner

	// state is a State, with stateRan set once the body has started (one
	// word, so that the first switch is one compare-and-swap); changed
	// under mu or by compare-and-swap, read anywhere.
	state atomic.Uint32
	// id is -1 until first asked for; guarded by hub.mu.
	id int32

	// canceler's mutex also guards state changes, err, links and the
	// stateNotifying bit. (liveIdx is declared in canceler, in its
	// padding.)
	canceler

	// err is the result error and endSeq the hub-wide order of its end;
	// both written before state becomes Dead.
	err    error
	endSeq uint64

	links linkList

	// values is the context Value delegates to.
	values context.Context

	// Parent is the greenlet that spawned this one, if any.
	Parent *G
	// extra holds the rarely set name and spawning stack; guarded by
	// hub.mu.
	extra *gExtra
}

type gExtra struct {
	name  string
	stack []uintptr
	uid   uint64 // process-wide number, assigned by the first report
	seq   uint64 // spawn sequence number on a simulated hub (sim.go); set in Init
}

// parked reports whether the greenlet is parked in a wait (loop-only).
func (g *G) parked() bool { return g.co != nil && g.wb != nil && g.wb.w.Waiting() }

// waitBlock is the part of a greenlet used only when it waits. Its 160
// bytes are a size class (objects at 0 or 32 modulo a cache line), and what
// a timer's wake-up touches (the timer, then the waiter's state, greenlet
// and registration count) is its first 48 bytes. Pinned by TestSizes.
type waitBlock struct {
	// t is the greenlet's own timer: its delayed start, then its sleeps.
	// It comes first: timer.owner finds the block, and w.g, from it.
	t timer
	w Waiter // reused for every wait
	// scopes are the timeouts the greenlet entered (scope.go); nil until
	// the first, and kept with the block when it is reused. A pointer, not
	// the slice: 16 bytes less put the block in the 176-byte class
	// (memory_parked: one per parked greenlet).
	scopes *scopeSet
}

// waits returns g's wait block, taking one from the hub's free list or
// allocating it on first use. Only g itself (running on its hub) calls it.
func (g *G) waits() *waitBlock {
	if g.wb == nil {
		h := g.hub
		var wb *waitBlock
		if n := len(h.freeWB); n > 0 {
			wb = h.freeWB[n-1]
			h.freeWB[n-1] = nil
			h.freeWB = h.freeWB[:n-1]
			if n > 1 {
				// Prefetch the block the next first wait will take: the
				// free list is a stack, and its lower blocks left the
				// cache long ago (see prefetchDue).
				prefetch(uintptr(unsafe.Pointer(h.freeWB[n-2])))
			}
		} else {
			wb = &waitBlock{}
		}
		wb.w.g = g // also the timer's (timer.owner)
		g.wb = wb
		g.own.Store(&wb.w)
	}
	return g.wb
}

// newWaits gives a greenlet that has not started its wait block (StartLater
// may be called from any goroutine, so it does not touch the free list).
func (g *G) newWaits() *waitBlock {
	if g.wb == nil {
		g.wb = &waitBlock{w: Waiter{g: g}}
		g.own.Store(&g.wb.w)
	}
	return g.wb
}

// releaseWaits gives the wait block of a greenlet that has ended back to its
// hub. Its waiter is idle and on no list and its timer is disarmed: every
// wait ends by unlinking itself under the lock its wakers hold.
func (g *G) releaseWaits() {
	wb := g.wb
	if wb == nil {
		return
	}
	g.wb = nil
	// own keeps pointing at the waiter (which the next greenlet may reuse):
	// no canceller reads it any more, since the context is cancelled by now
	// and cancelFrom reads own only when it cancels; skipping the store
	// saves a locked instruction and a write barrier per greenlet.
	wb.w.g = nil
	if wb.scopes != nil {
		wb.scopes.reset()
	}
	g.hub.freeWB = append(g.hub.freeWB, wb)
}

// Body returns the greenlet's Runner.
func (g *G) Body() Runner { return g.body }

// Stack returns the spawning stack, if it was recorded.
func (g *G) Stack() []uintptr {
	h := g.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if g.extra == nil {
		return nil
	}
	return g.extra.stack
}

// SetStack records the spawning stack.
func (g *G) SetStack(pcs []uintptr) {
	h := g.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if g.extra == nil {
		g.extra = &gExtra{}
	}
	g.extra.stack = pcs
}

// Runner is a greenlet's body: the root package's typed greenlet.
type Runner interface {
	RunBody(g *G) error
}

// Init prepares g to run r on h with g as r's context. spawnCtx provides the
// values (not the cancellation) and, when it belongs to a greenlet, the
// parent.
func (g *G) Init(h *Hub, spawnCtx context.Context, r Runner) {
	g.hub = h
	g.body = r
	g.id = -1
	g.values = valuesParent(spawnCtx)
	g.Parent = GreenletOf(spawnCtx)
	if h.opts.CaptureStacks {
		var pcs [32]uintptr
		n := runtime.Callers(4, pcs[:])
		g.extra = &gExtra{stack: append([]uintptr(nil), pcs[:n]...)}
	}
	if h.sim != nil {
		h.sim.initG(g)
	}
}

// Ran reports whether the body started running.
func (g *G) Ran() bool { return g.state.Load()&stateRan != 0 }

// Hub returns the greenlet's hub.
func (g *G) Hub() *Hub { return g.hub }

// State returns the current state.
func (g *G) State() State { return State(g.state.Load() &^ (stateRan | stateNotifying)) }

const (
	// stateRan marks, in G.state, a greenlet whose body has started.
	stateRan = 1 << 8
	// stateNotifying marks a dead greenlet whose link-notification task is
	// queued. Set and cleared under mu, only once the state is Dead, which
	// no compare-and-swap starts from: a bit of state rather than a field
	// of its own keeps a G at 152 bytes (TestSizes).
	stateNotifying = 1 << 9
)

// notifyingLocked reports whether g's link-notification task is queued;
// g.mu held.
func (g *G) notifyingLocked() bool { return g.state.Load()&stateNotifying != 0 }

// Dead reports whether the greenlet has finished or was killed before it
// started. The running greenlet is never dead.
func (g *G) Dead() bool { return g.State() == StateDead }

// EndSeq orders the ends of a hub's greenlets; meaningful once Dead.
func (g *G) EndSeq() uint64 { return g.endSeq }

// Result returns the final error; meaningful once Dead.
func (g *G) Result() error {
	if !g.Dead() {
		return nil
	}
	return g.err
}

// IsExit reports whether err is a kill that counts as success.
func IsExit(err error) bool {
	return errors.Is(err, ErrGreenletExit)
}

// Start schedules a New greenlet to run in the hub's next callback drain and
// reports whether it did (Start of a started or killed greenlet does nothing).
func (g *G) Start() bool {
	if !g.transition(StateNew, StateScheduled) {
		return false
	}
	g.hub.schedule(g)
	return true
}

// StartFrom is Start called by a callback that hub from runs between
// greenlets (a link notification): a greenlet of that hub starts as soon as
// the callback returns, before anything queued after it.
func (g *G) StartFrom(from *Hub) bool {
	if !g.transition(StateNew, StateScheduled) {
		return false
	}
	g.hub.scheduleFrom(g, from)
	return true
}

// StartLater schedules a New greenlet to start after d.
func (g *G) StartLater(d int64) bool {
	if !g.transition(StateNew, StateScheduled) {
		return false
	}
	g.hub.scheduleLater(g, d)
	return true
}

// transition moves the state from one value to another without the lock:
// it races only with kill, which also uses compare-and-swap for the moves
// out of New and Scheduled.
func (g *G) transition(from, to State) bool {
	next := uint32(to)
	if to == StateRunning {
		next |= stateRan
	}
	return g.state.CompareAndSwap(uint32(from), next)
}

// run executes the body on the greenlet's coroutine and records the result.
func (g *G) run() {
	if g.hub.opts.CrashOnPanic {
		g.finish(g.body.RunBody(g))
		return
	}
	normal := false
	defer func() {
		if normal {
			return
		}
		if p := recover(); p != nil {
			g.finish(g.hub.panicked(p))
			return
		}
		// runtime.Goexit: record it; the coroutine, and then the hub's
		// goroutine, exit as Goexit demands.
		g.finish(errGoexit)
	}()
	err := g.body.RunBody(g)
	normal = true
	g.finish(err)
}

// finish records err, makes the greenlet dead, schedules its links and
// cancels its context.
func (g *G) finish(err error) {
	g.mu.Lock()
	g.err = err
	g.endSeq = g.hub.endSeq.Add(1)
	// (Not yet dead: no notification can be queued.)
	notify := g.links.head != nil
	if notify {
		g.state.Store(uint32(StateDead) | stateRan | stateNotifying)
	} else {
		g.state.Store(uint32(StateDead) | stateRan)
	}
	// Cancel the context (ErrGreenletDone) in the same critical section
	// when nobody listens, which is the common case.
	// (The own slot does not count: the greenlet runs, so no wait of its
	// listens there.)
	cancelled := g.cancelled.Load()
	quiet := cancelled || (g.head == nil && !g.hasDone())
	if quiet && !cancelled {
		g.cancelled.v.Store(causeDone)
	}
	g.mu.Unlock()
	g.hub.retire(g, notify)
	if !quiet {
		g.canceler.cancel(ErrGreenletDone)
	}
	g.releaseWaits()
	// A failure is reported by the hub, on its goroutine, as soon as the
	// coroutine hands back (Hub.switchTo).
}

// Kill cancels the greenlet's context with cause. A greenlet that has not
// started becomes dead at once with cause as its result and never runs; its
// links fire later, from the hub. Kill never blocks; any goroutine.
func (g *G) Kill(cause error) { g.kill(cause, false) }

// CancelStart kills the greenlet only if it has not started running and
// reports whether it did (guv's cancel).
func (g *G) CancelStart(cause error) bool { return g.kill(cause, true) }

// kill reports whether it killed the greenlet before its start.
func (g *G) kill(cause error, onlyUnstarted bool) bool {
	g.mu.Lock()
	var st State
	for {
		st = g.State()
		switch st {
		case StateDead:
			g.mu.Unlock()
			return false
		case StateRunning:
			g.mu.Unlock()
			if !onlyUnstarted {
				g.canceler.cancel(cause)
			}
			return false
		}
		// New or Scheduled: die before starting, unless Start or the
		// hub's first switch moves the state first (then look again).
		g.err = cause
		g.endSeq = g.hub.endSeq.Add(1)
		if g.state.CompareAndSwap(uint32(st), uint32(StateDead)) {
			break
		}
		g.err = nil
	}
	notify := g.links.head != nil && !g.notifyingLocked()
	if notify {
		g.state.Or(stateNotifying)
	}
	g.mu.Unlock()
	if st == StateScheduled {
		if wb := g.wb; wb != nil {
			g.hub.delTimer(&wb.t)
		}
		g.hub.retire(g, notify)
	} else if notify {
		g.hub.ready(notifyTask(g))
	}
	g.canceler.cancel(cause)
	if !IsExit(cause) {
		g.hub.Post(func() { g.hub.report(g, cause) }) // runFunc: a callback
	}
	return true
}

// Link is one link callback registration: a function or a waiter to wake.
type Link struct {
	Fn func()
	W  *Waiter
	// FnFrom is Fn for callbacks that wake waiters: it is told the hub
	// running the notification (nil when none), for Waiter.WakeFrom.
	FnFrom func(from *Hub)
	// Internal says Fn is the library's own bookkeeping (a pool member
	// leaving its group), which neither blocks nor panics: the hub calls it
	// directly, without the misuse checks and the panic recovery that a
	// user's callback runs under (runFunc: two atomic stores, two defers).
	Internal bool

	g          *G // registered on; guarded by g.mu
	prev, next *Link
}

// linkList is a doubly linked list whose head's prev is its tail (one word
// in every G instead of two; next ends in nil).
type linkList struct{ head *Link }

// AddLink registers l to run once after the greenlet is dead, on its hub, in
// registration order. Linking a dead greenlet still fires.
func (g *G) AddLink(l *Link) {
	if l.W != nil || l.FnFrom != nil {
		g.hub.waitedOn.Add(1) // someone waits on this hub's work (registry.go)
	}
	g.mu.Lock()
	l.g = g
	l.next = nil
	if h := g.links.head; h != nil {
		t := h.prev
		t.next = l
		l.prev = t
		h.prev = l
	} else {
		l.prev = l
		g.links.head = l
	}
	notify := g.State() == StateDead && !g.notifyingLocked()
	if notify {
		g.state.Or(stateNotifying)
	}
	g.mu.Unlock()
	if notify {
		g.hub.ready(notifyTask(g))
	}
}

// RemoveLink unregisters l and reports whether it was still registered.
func (g *G) RemoveLink(l *Link) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if l.g != g {
		return false
	}
	g.unlinkLocked(l)
	return true
}

func (g *G) unlinkLocked(l *Link) {
	if h := g.links.head; l == h {
		g.links.head = l.next
		if l.next != nil {
			l.next.prev = l.prev // the tail
		}
	} else {
		l.prev.next = l.next
		if l.next != nil {
			l.next.prev = l.prev
		} else {
			h.prev = l.prev // l was the tail
		}
	}
	l.prev, l.next, l.g = nil, nil, nil
	if l.W != nil || l.FnFrom != nil {
		g.hub.waitedOn.Add(-1)
	}
}

// notifyLinks runs the links one at a time, popping each before calling it,
// so that a link may unlink later ones or add new ones (which run in this
// same pass). from is the hub running the pass (nil when there is no loop
// left): a joiner of that hub resumes right there, before the next link, as
// gevent's notifier switches to each waiter in turn.
func (g *G) notifyLinks(from *Hub) {
	for {
		g.mu.Lock()
		l := g.links.head
		if l == nil {
			g.state.And(^uint32(stateNotifying))
			g.mu.Unlock()
			return
		}
		g.unlinkLocked(l)
		// Read now: the link's owner may reuse it once popped.
		fn, fnFrom, internal := l.Fn, l.FnFrom, l.Internal
		var resume *G
		if w := l.W; w != nil {
			// Claim under the lock RemoveLink takes, so that a waiter that
			// gave up and moved on is never woken by a stale link.
			if w.transition(0, waitWoken) {
				if wg := w.g; wg != nil && from != nil && wg.hub == from && from.current == nil {
					resume = wg
				} else {
					w.signal()
				}
			}
		}
		g.mu.Unlock()
		if resume != nil {
			from.switchTo(resume)
		}
		if fnFrom != nil {
			fn = func() { fnFrom(from) }
		}
		if fn != nil {
			if from != nil && internal {
				from.runInternal(fn)
			} else if from != nil {
				from.runPass(fn)
			} else {
				g.hub.runClosed(fn) // no loop: any goroutine
			}
		}
	}
}

// Join waits until the greenlet is dead. It returns the cause when ctx is
// cancelled first, leaving the greenlet running.
func (g *G) Join(ctx context.Context) error {
	if g.Dead() {
		return nil
	}
	w, err := PrepareOn(ctx, WaitJoin, unsafe.Pointer(g))
	if err != nil {
		return err
	}
	l := Link{W: w}
	g.AddLink(&l)
	err = w.Block(ctx)
	if err != nil {
		g.RemoveLink(&l)
	}
	w.Release()
	return err
}

// Name returns the greenlet's name, "Greenlet-<id>" by default.
func (g *G) Name() string {
	h := g.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if g.extra == nil {
		g.extra = &gExtra{}
	}
	if g.extra.name == "" {
		g.extra.name = "Greenlet-" + itoa(int(h.idLocked(g)))
	}
	return g.extra.name
}

// SetName sets the greenlet's name.
func (g *G) SetName(name string) {
	g.hub.mu.Lock()
	if g.extra == nil {
		g.extra = &gExtra{}
	}
	g.extra.name = name
	g.hub.mu.Unlock()
}

// ID returns the greenlet's small per-hub identifier, assigned on first use:
// the smallest one not held by a live greenlet.
func (g *G) ID() int {
	h := g.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	return int(h.idLocked(g))
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
