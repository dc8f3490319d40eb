package core

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"unsafe"
)

// waitState is the state of one Waiter.
//
//	idle ──Prepare──▶ waiting ──Wake────▶ woken
//	                     └──────Cancel──▶ cancelled
//
// Every wait starts with Prepare, which moves a woken or cancelled waiter
// (its previous wait) to waiting like an idle one: a finished wait keeps its
// end state, since moving it back to idle would cost one more locked
// instruction per wait and neither end state can be woken or cancelled.
// Wake and Cancel race through one compare-and-swap from waiting: exactly
// one of them wins. A primitive whose Wake fails moves on to its next
// waiter, so an item or a unit is never handed to a waiter that has already
// given up.
type waitState int32

const (
	waitIdle      waitState = iota // never waited
	waitWaiting                    // registered and parked (or about to park)
	waitWoken                      // the primitive won: the wait succeeds
	waitCancelled                  // a cancellation won: the wait fails with cause
)

func (s waitState) String() string {
	switch s {
	case waitIdle:
		return "idle"
	case waitWaiting:
		return "waiting"
	case waitWoken:
		return "woken"
	case waitCancelled:
		return "cancelled"
	}
	return "invalid"
}

// Waiter is one party waiting for one thing: a parked greenlet or a blocked
// plain goroutine. Every blocking call of the library is built on it:
//
//	w, err := core.Prepare(ctx)   // level-triggered cancellation check
//	... register w with the object, under the object's lock ...
//	err = w.Block(ctx)            // park until Wake or Cancel
//	if err != nil { ... remove w from the object, under its lock ... }
//	w.Release()
//
// A greenlet owns one Waiter and reuses it for every wait; goroutine waiters
// come from a pool.
//
// The fields a wake-up and the end of a wait touch come first: in a
// greenlet's wait block they follow its timer within the block's first 48
// bytes (see waitBlock).
type Waiter struct {
	// state is gen<<3 | waitOwn | waitState. gen counts the waits (written
	// only by the owner, in begin); a listener records it, so that a
	// canceller that unlinked the listener cancels exactly the wait that
	// registered it. waitOwn says the current wait listens through its
	// greenlet's own slot (see canceler.own).
	state atomic.Uint64

	// g is the parked greenlet; nil for a goroutine waiter.
	g *G

	// since is when a greenlet's current wait began, on its hub's loop
	// clock (waitrecord.go). Owner only, like kind.
	since uint32
	// scoped says the current Block also registered with its greenlet's
	// timeout scopes (owner only).
	scoped bool
	// kind is what a greenlet's current wait is on (waitrecord.go).
	kind WaitKind
	// nregs counts the cancellation registrations of the current Block
	// (the first is embedded so that a wait does not allocate; extra holds
	// the others). 16 bits leave room for the wait record; listener
	// refuses more.
	nregs uint16

	// cause is written by the canceller after it wins the CAS and read by the
	// waiter after it resumes; the hand-off (hub queue lock or ch) orders them.
	cause error

	extra *[]*listener

	// Intrusive links for the WaitList the waiter is queued on, guarded by
	// the lock of the object that owns that list.
	list       *WaitList
	prev, next *Waiter

	// ch wakes a goroutine waiter (capacity 1). A greenlet waiter has no
	// channel: the word holds its wait record's object (objSlot).
	ch chan struct{}

	regs [1]listener
}

// waitOwn flags, in Waiter.state, a wait registered in its greenlet's own
// slot; the generation starts above it.
const (
	waitOwn      = 1 << 2
	waitGenShift = 3
)

var waiterPool = sync.Pool{New: func() any {
	return &Waiter{ch: make(chan struct{}, 1)}
}}

// Prepare returns the Waiter for a wait made with ctx: the current greenlet's
// own Waiter when ctx belongs to a running hub, or a pooled goroutine Waiter
// otherwise. It returns ctx's cancellation cause instead when ctx is already
// cancelled (every switch point is level-triggered).
//
// Primitives call Prepare holding their own lock, so misuse it detects (a
// greenlet's context from a plain goroutine, a blocking call inside a hub
// callback) does not panic here: the Waiter it returns is already cancelled,
// so no waker ever hands it anything, and its Block panics, after the
// primitive has released its lock.
//
// PrepareOn is the same, with a record of what the wait is on.
func Prepare(ctx context.Context) (*Waiter, error) {
	return PrepareOn(ctx, WaitUnknown, nil)
}

// PrepareOn is Prepare that also records what a greenlet's wait is on: kind
// and obj (a pointer the kind's describer understands; nil for none). See
// waitrecord.go.
func PrepareOn(ctx context.Context, kind WaitKind, obj unsafe.Pointer) (*Waiter, error) {
	if err := Cause(ctx); err != nil {
		return nil, err
	}
	g, misuse := current(ctx)
	if g != nil {
		w := &g.waits().w
		w.begin()
		w.record(kind, obj)
		return w, nil
	}
	if misuse == "" {
		misuse = callbackMisuse(ctx)
	}
	w := waiterPool.Get().(*Waiter)
	w.begin()
	if misuse != "" {
		w.Cancel(misuseError(misuse))
	}
	return w, nil
}

// misuseError is the cause of a goroutine Waiter that Prepare refused: its
// Block panics with the message instead of returning it.
type misuseError string

func (e misuseError) Error() string { return string(e) }

// begin starts a new wait: next generation, waiting. Owner only.
func (w *Waiter) begin() {
	gen := w.state.Load()>>waitGenShift + 1
	w.state.Store(gen<<waitGenShift | uint64(waitWaiting))
}

// beginOwn is begin for a wait that listens through its greenlet's own slot
// (registerCtx's first case), flagged in the same store. Owner only, and
// only before the wait is registered anywhere.
func (w *Waiter) beginOwn() {
	gen := w.state.Load()>>waitGenShift + 1
	w.state.Store(gen<<waitGenShift | waitOwn | uint64(waitWaiting))
}

// transition moves the current wait from waiting to st; gen 0 means any
// generation. It reports whether it did.
func (w *Waiter) transition(gen uint64, st waitState) bool {
	for {
		s := w.state.Load()
		if waitState(s&3) != waitWaiting || (gen != 0 && s>>waitGenShift != gen) {
			return false
		}
		if w.state.CompareAndSwap(s, s&^3|uint64(st)) {
			return true
		}
	}
}

// CheckNotInCallback panics when a blocking call is made with a greenlet's
// context from inside a hub callback (a link callback, say): blocking the
// hub's goroutine there would deadlock it (gevent raises
// BlockingSwitchOutError).
func CheckNotInCallback(ctx context.Context) {
	if msg := callbackMisuse(ctx); msg != "" {
		panic(msg)
	}
}

// callbackMisuse describes a blocking call made inside a hub callback: with a
// greenlet's context while its hub runs no greenlet, or with any context on
// the goroutine of a hub that is running a callback. "" when it is not one.
func callbackMisuse(ctx context.Context) string {
	if g := GreenletOf(ctx); g != nil && g.hub.inCallback && g.hub.current == nil {
		return "gevent: blocking call inside a hub callback (link callback, timer or posted function); " +
			"spawn a greenlet for work that must wait"
	}
	return onLoopMisuse()
}

// Greenlet reports the greenlet this waiter parks, or nil.
func (w *Waiter) Greenlet() *G { return w.g }

// Wake ends the wait successfully. It reports false when the waiter was no
// longer waiting (it gave up or was already woken); the caller must then offer
// what it had to someone else. Wake may be called from any goroutine. A woken
// greenlet is queued at the back of its hub's callback queue; see WakeFrom for
// wake-ups made by the hub itself.
func (w *Waiter) Wake() bool {
	if !w.transition(0, waitWoken) {
		return false
	}
	w.signal()
	return true
}

// WakeFrom is Wake for code that hub h runs on its own goroutine between two
// greenlets: a timer, a poller event, a link notification, a function posted
// with Post. When w parks a greenlet of h, that greenlet resumes as soon as
// the calling callback returns, before anything queued after it: gevent
// resumes a waiter inside the callback that woke it (design §2). Anywhere
// else it is Wake; h may be nil.
func (w *Waiter) WakeFrom(h *Hub) bool {
	if !w.transition(0, waitWoken) {
		return false
	}
	w.signalFrom(h)
	return true
}

// Cancel ends the wait with cause. It reports false when the waiter had
// already been woken or cancelled. Any goroutine.
func (w *Waiter) Cancel(cause error) bool {
	return w.cancelGen(0, cause, nil)
}

// cancelGen cancels the wait of generation gen (any, when 0); from is the
// hub whose callback cancels, as for WakeFrom, or nil.
func (w *Waiter) cancelGen(gen uint64, cause error, from *Hub) bool {
	if !w.transition(gen, waitCancelled) {
		return false
	}
	w.cause = cause
	w.signalFrom(from)
	return true
}

// cancelOwn cancels the current wait if it listens through its greenlet's
// own slot (the canceller found w there); from is as for cancelGen.
func (w *Waiter) cancelOwn(cause error, from *Hub) bool {
	for {
		s := w.state.Load()
		if waitState(s&3) != waitWaiting || s&waitOwn == 0 {
			return false
		}
		if w.state.CompareAndSwap(s, s&^3|uint64(waitCancelled)) {
			w.cause = cause
			w.signalFrom(from)
			return true
		}
	}
}

func (w *Waiter) signal() {
	if w.g != nil {
		w.g.hub.ready(runTask(w.g))
		return
	}
	w.ch <- struct{}{}
}

// signalFrom resumes w's greenlet right after the current callback of hub
// from when it belongs to from and from is running a callback (inPass and
// current are loop-only, and only from's own loop passes from), and
// signals it the usual way otherwise.
func (w *Waiter) signalFrom(from *Hub) {
	if g := w.g; g != nil && from != nil && g.hub == from && from.inPass && from.current == nil {
		from.direct = append(from.direct, g)
		return
	}
	w.signal()
}

// Waiting reports whether the waiter is still waiting.
func (w *Waiter) Waiting() bool { return waitState(w.state.Load()&3) == waitWaiting }

// Block parks the caller until Wake or Cancel. It returns nil when woken and
// the cancellation cause otherwise. Cancellation comes from ctx (our own
// contexts are watched without goroutines; foreign ones through
// context.AfterFunc), or from the hub (ErrLoopExit, shutdown).
//
// A parked greenlet's stack is scanned by every garbage collection, frame by
// frame, so the park path is kept shallow: no helper frames between the
// blocking call and the coroutine switch.
func (w *Waiter) Block(ctx context.Context) error {
	if w.g == nil {
		if msg, ok := w.cause.(misuseError); ok {
			// Cancelled by Prepare on this goroutine: no one else
			// can have written cause.
			panic(string(msg))
		}
		return w.blockGoroutine(ctx)
	}
	stop := w.register(ctx)
	if g := w.g; g.hub.tracing {
		g.parkTraced(parkWait)
	} else if g.hub.handing != g || !g.hub.handoff(g) {
		g.co.yield(struct{}{})
	}
	w.endRecord()
	w.unregister(stop)
	return w.finish()
}

func (w *Waiter) blockGoroutine(ctx context.Context) error {
	goroutineWaiters.Add(1)
	select {
	case <-w.ch:
	case <-ctx.Done():
		w.Cancel(Cause(ctx))
		<-w.ch // our own signal, or the waker's: exactly one arrives
	}
	goroutineWaiters.Add(-1)
	return w.finish()
}

func (w *Waiter) finish() error {
	st := waitState(w.state.Load() & 3) // kept until the next begin
	if st == waitWoken {
		return nil
	}
	if st != waitCancelled {
		panic("gevent: internal error: wait ended in state " + st.String())
	}
	err := w.cause
	w.cause = nil
	return err
}

// Release returns a goroutine waiter to its pool; a no-op for greenlets.
func (w *Waiter) Release() {
	if w.g == nil {
		waiterPool.Put(w)
	}
}

// register arranges for w to be cancelled when ctx is. It walks ctx's chain
// through the library's own context types, adding w to each one's listener
// list, and stops at the first greenlet context (whose parent never cancels)
// or at a foreign context, which is watched with context.AfterFunc.
func (w *Waiter) register(ctx context.Context) (stop func() bool) {
	stop = w.registerCtx(ctx)
	if g := w.g; g != nil && g.wb != nil && g.wb.hasScopes() {
		w.registerScopes(g.wb)
	}
	return stop
}

func (w *Waiter) registerCtx(ctx context.Context) (stop func() bool) {
	for ctx != nil {
		switch c := ctx.(type) {
		case *G:
			if c == w.g {
				// The greenlet's own context: the greenlet's slot
				// (canceler.own, which holds w for the greenlet's life)
				// instead of a listener; no lock.
				w.state.Or(waitOwn)
				if c.cancelled.Load() {
					w.Cancel(c.causeOf())
				}
				return nil
			}
			c.canceler.add(w.listener())
			if w.g != nil {
				// A captured ancestor's context: killing the waiting
				// greenlet must end its wait too.
				w.g.canceler.add(w.listener())
			}
			return nil
		case *TimerCtx:
			c.canceler.add(w.listener())
			ctx = c.parent
		case detached:
			ctx = c.Context
		default:
			d := ctx.Done()
			if d == nil {
				return nil
			}
			if g := seeThrough(ctx, d); g != nil {
				ctx = g // a value-only wrapper of a greenlet's context
				continue
			}
			if w.refuseStdDeadline(ctx) {
				return nil
			}
			return watchForeign(ctx, w)
		}
	}
	return nil
}

func (w *Waiter) listener() *listener {
	var l *listener
	if int(w.nregs) < len(w.regs) {
		l = &w.regs[w.nregs]
	} else {
		if w.nregs == math.MaxUint16 {
			panic("gevent: more than 65535 cancellation registrations in one wait")
		}
		l = &listener{}
		if w.extra == nil {
			w.extra = new([]*listener)
		}
		*w.extra = append(*w.extra, l)
	}
	w.nregs++
	l.w = w
	l.gen = w.state.Load() >> waitGenShift
	return l
}

func (w *Waiter) unregister(stop func() bool) {
	if w.scoped {
		w.scoped = false
		if waitState(w.state.Load()&3) == waitCancelled {
			w.g.wb.scopeDelivered(w.cause)
		}
	}
	if stop != nil {
		stop()
	}
	if w.nregs == 0 {
		return // the common case: the own slot, or nothing
	}
	for i := 0; i < int(w.nregs) && i < len(w.regs); i++ {
		w.regs[i].remove()
	}
	if int(w.nregs) > len(w.regs) {
		for _, l := range *w.extra {
			l.remove()
		}
		clear(*w.extra)
		*w.extra = (*w.extra)[:0]
	}
	w.nregs = 0
}

// goroutineWaiters counts plain goroutines blocked in the library's waits:
// any of them may later wake a greenlet, so a hub does not declare
// ErrLoopExit while one exists.
var goroutineWaiters atomic.Int64

// WaitList is a FIFO of waiters, guarded by the lock of the object owning it.
// The zero value is an empty list.
type WaitList struct {
	head, tail *Waiter
	n          int
}

// Len is the number of queued waiters.
func (l *WaitList) Len() int { return l.n }

// PushBack queues w at the end.
func (l *WaitList) PushBack(w *Waiter) {
	if w.list != nil {
		panic("gevent: internal error: waiter queued twice")
	}
	w.list = l
	w.prev = l.tail
	w.next = nil
	if l.tail != nil {
		l.tail.next = w
	} else {
		l.head = w
	}
	l.tail = w
	l.n++
}

// Front returns the first waiter without removing it, or nil.
func (l *WaitList) Front() *Waiter { return l.head }

// PopFront removes and returns the first waiter, or nil.
func (l *WaitList) PopFront() *Waiter {
	w := l.head
	if w != nil {
		l.Remove(w)
	}
	return w
}

// Remove unlinks w if it is on this list and reports whether it was.
func (l *WaitList) Remove(w *Waiter) bool {
	if w.list != l {
		return false
	}
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		l.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		l.tail = w.prev
	}
	w.prev, w.next, w.list = nil, nil, nil
	l.n--
	return true
}

// WakeOne wakes the first waiter that is still waiting, dropping those that
// gave up, and returns it (nil when none was woken).
func (l *WaitList) WakeOne() *Waiter {
	for {
		w := l.PopFront()
		if w == nil {
			return nil
		}
		if w.Wake() {
			return w
		}
	}
}

// WakeAll wakes every waiter in FIFO order.
func (l *WaitList) WakeAll() { l.WakeAllFrom(nil) }

// WakeAllFrom is WakeAll with WakeFrom(h).
func (l *WaitList) WakeAllFrom(h *Hub) {
	for w := l.PopFront(); w != nil; w = l.PopFront() {
		w.WakeFrom(h)
	}
}

// watchForeign cancels w when a foreign context is cancelled. The callback
// runs on its own goroutine; the returned stop also waits it out, so that it
// can never cancel a later wait of the same (reused) waiter.
//
// A foreign context may be cancelled from anywhere (a std deadline fires on
// a runtime timer), so while a greenlet waits on one its hub is held: it
// does not declare ErrLoopExit.
func watchForeign(ctx context.Context, w *Waiter) func() bool {
	r := &foreignWatch{w: w}
	var h *Hub
	if w.g != nil && !w.g.hub.closedWorld() {
		// (A simulation is a closed world: the outside cancellation is
		// not waited for, so that virtual time keeps moving.)
		h = w.g.hub
		h.Hold()
	}
	stop := context.AfterFunc(ctx, func() {
		r.mu.Lock()
		if r.w != nil {
			r.w.Cancel(Cause(ctx))
		}
		r.mu.Unlock()
	})
	return func() bool {
		stopped := stop()
		r.mu.Lock()
		r.w = nil
		r.mu.Unlock()
		if h != nil {
			h.Unhold()
		}
		return stopped
	}
}

type foreignWatch struct {
	mu sync.Mutex
	w  *Waiter // nil once the wait is over
}
