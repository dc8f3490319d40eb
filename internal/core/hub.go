package core

import (
	"context"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a hub.
type Options struct {
	// ErrorHandler is called once for each greenlet that fails (an error
	// other than a GreenletExit) and for each panicking callback (g nil), on
	// the hub. Nil means log/slog.
	ErrorHandler func(g *G, err error)
	// CrashOnPanic lets a greenlet's panic propagate and crash the program.
	CrashOnPanic bool
	// SwitchInterval bounds one callback drain (default 5ms).
	SwitchInterval time.Duration
	// CaptureStacks records every greenlet's spawning stack.
	CaptureStacks bool
	// Panics makes the errors of recovered panics (nil: an internal type).
	Panics PanicErrors
	// BlockingWorkers bounds the goroutines that run gevent.Blocking calls
	// at once (0: the root package's default; negative: no bound).
	BlockingWorkers int
	// Name names the hub in dumps (default "hub-<id>").
	Name string
	// Monitor configures the stall monitor (Threshold 0: none).
	Monitor MonitorConfig
	// Sim makes the hub simulated (sim.go); nil: a real hub.
	Sim *SimOptions
}

// phase is the hub's life cycle:
//
//	idle ──Serve──▶ running ──main ends / stop──▶ stopping ──all dead──▶ closed
type phase int32

const (
	phaseIdle phase = iota
	phaseRunning
	phaseStopping
	phaseClosed
)

// Poller is what the hub waits in when it has nothing to run: the default one
// waits on a channel and a timer; an I/O poller also handles readiness.
type Poller interface {
	// Poll waits up to timeout (negative: no limit; zero: do not block)
	// for Wakeup or I/O, handles any I/O, and reports whether it did.
	Poll(timeout time.Duration) bool
	// Wakeup makes a current or next Poll return. Any goroutine.
	Wakeup()
	// Busy reports whether I/O waits are registered (they keep the hub
	// from declaring ErrLoopExit).
	Busy() bool
	// Close releases the poller's resources.
	Close()
}

// Hub is the event loop: one goroutine that runs greenlets one at a time
// through a FIFO callback queue, timers and a poller.
type Hub struct {
	mu       sync.Mutex // guards the fields below
	runq     []task
	runqFull [][]task    // full segments queued before runq, oldest first (runq.go)
	sleeping atomic.Bool // written under mu, read lock-free by addTimer
	phase    phase
	live     liveSet
	// loopGoid is the id of the goroutine running Serve, and cbActive is
	// set while that goroutine runs a callback (registry.go).
	loopGoid uint64
	cbActive atomic.Bool
	// waitedOn counts the waits (Join, Get, JoinAll...) linked to this
	// hub's greenlets; pendingReg says the hub is in the pending registry.
	// Both serve ErrLoopExit detection across hubs (registry.go).
	waitedOn   atomic.Int64
	pendingReg bool // guarded by mu
	ids        idRegistry
	poller     Poller
	closers    []func()
	workers    *workerPool // Blocking's workers, made on first use (workers.go)

	// freeSP holds the stack address of each coroutine in free, and endSP
	// the one the coroutine that ended last left (prefetchstack.go).
	// Loop-only.
	freeSP []uintptr
	endSP  uintptr

	tmu    sync.Mutex // guards timers, tseq and every timer's idx/when
	timers timerHeap
	tseq   uint64

	// Loop-only: touched by the hub goroutine and the greenlet it runs.
	batch       []task
	bi          int
	batchRest   [][]task // the batch's segments after batch (runq.go)
	due         []*timer
	dueTimeouts []*timer
	current     *G
	inCallback  bool // running a link callback, timer function or posted function
	// inPass is set while the hub runs a callback between greenlets (a
	// timer, the poller, a notification, a posted function): wake-ups it
	// makes with WakeFrom collect the greenlets of this hub in direct, and
	// the hub resumes them, in order, as soon as that callback returns.
	inPass bool
	direct []*G
	// ioWoken holds the greenlets the poller woke, resumed after the timers
	// of the same iteration (libev: timers before I/O).
	ioWoken []*G
	// quiet are the greenlets parked in WaitQuiet (quiet.go).
	quiet  []quietWaiter
	free   []*coro
	freeWB []*waitBlock // wait blocks of ended greenlets, for reuse
	idlers WaitList
	main   *G
	// hasMain says main is set, for a sibling of a group (group.go) that
	// reads it from its own goroutine.
	hasMain atomic.Bool
	// group is the group the hub belongs to (group.go), nil for none: set
	// by NewGroup, cleared by Group.Close.
	group atomic.Pointer[Group]
	// mon is the stall monitor's shared state (nil: none) and monSeen the
	// last probe the loop acknowledged (monitor.go).
	mon     *prober
	monSeen uint64
	// tracing samples trace.IsEnabled once per loop iteration; traces
	// holds the greenlets' trace states (nil when none: trace.go).
	tracing bool
	traces  map[*G]*gTrace

	endSeq atomic.Uint64 // numbers greenlet ends

	// holds counts outside work that will post back (Blocking calls).
	holds atomic.Int64

	clock Clock
	// now caches the clock's reading for the timers a loop iteration arms
	// (gevent arms Timeouts on libev's cached loop time too: a clock read
	// costs more than the rest of a Timeout's start). It is refreshed
	// whenever the loop reads the clock, and 0 (read the clock) while the
	// hub sleeps, so a goroutine arming a timer then never sees it stale.
	// It holds the reading plus one.
	now  atomic.Int64
	base time.Time
	opts Options
	ctx  *HubCtx
	dbg  hubDebug // number and name, for dumps (snapshot.go)
	// stalls keeps the configured monitor's recent events (nil without
	// one); set at creation.
	stalls *stallRing
	// sim is the simulation state (sim.go), nil for a real hub; set
	// before the hub is shared, then loop-only.
	sim *Sim

	// handing is the greenlet the drain is running while it may hand the
	// drain's next tasks to it when it parks (handoff.go), nil otherwise;
	// noHandoff says it never may (set at creation). passN counts the
	// tasks of the drain's pass, and the drain checks the time when it
	// reaches passCheck; endedAway is a greenlet that ended under a
	// handoff, whose end the drain finishes. Loop-only.
	handing   *G
	endedAway *G
	passN     int
	passCheck int
	noHandoff bool
}

// NewHub creates a hub that has not started.
func NewHub(ctx context.Context, opts Options) *Hub {
	if opts.SwitchInterval <= 0 {
		opts.SwitchInterval = 5 * time.Millisecond
	}
	if opts.Panics == nil {
		opts.Panics = defaultPanics{}
	}
	h := &Hub{opts: opts, base: time.Now()}
	h.clock = realClock{base: h.base}
	if opts.Sim == nil && forcedSim != nil {
		h.opts.Sim = forcedSim
	}
	if o := h.opts.Sim; o != nil {
		h.sim = newSim(h, *o)
		if c := h.sim.clock; c != nil {
			h.base = o.Epoch
			h.clock = c
		}
	}
	h.noHandoff = h.sim != nil || opts.CrashOnPanic
	h.poller = newChanPoller()
	h.ctx = &HubCtx{Context: context.WithoutCancel(ctx), hub: h}
	registerHub(h)
	if opts.Monitor.Threshold > 0 {
		h.stalls = new(stallRing)
	}
	return h
}

// Context returns the hub's context: any goroutine may spawn onto the hub
// with it.
func (h *Hub) Context() context.Context { return h.ctx }

// Current returns the greenlet the hub is running, or nil. Hub goroutine or
// its greenlets only.
func (h *Hub) Current() *G { return h.current }

// ready appends t to the callback queue and wakes the hub if it sleeps. Any
// goroutine. On a closed hub, notifications and functions run at once in the
// caller (there is no loop left to run them).
func (h *Hub) ready(t task) {
	h.mu.Lock()
	if h.phase == phaseClosed {
		h.mu.Unlock()
		switch t.kind {
		case taskNotify:
			t.g().notifyLinks(nil)
		case taskFunc:
			h.runClosed(t.f())
		}
		return
	}
	t.src = h.srcTag()
	h.queueLocked(t)
	p := h.wakeLocked()
	h.mu.Unlock()
	if p != nil {
		p.Wakeup()
	}
}

func (h *Hub) wakeLocked() Poller {
	if h.sleeping.Load() {
		h.sleeping.Store(false)
		return h.poller
	}
	return nil
}

// kick wakes the hub if it sleeps (a timer was armed from outside).
func (h *Hub) kick() {
	h.mu.Lock()
	p := h.wakeLocked()
	h.mu.Unlock()
	if p != nil {
		p.Wakeup()
	}
}

// Post queues f to run on the hub, in FIFO order with everything else. Any
// goroutine.
func (h *Hub) Post(f func()) { h.ready(funcTask(f)) }

// schedule makes a Scheduled greenlet live and queues its start.
func (h *Hub) schedule(g *G) { h.scheduleFrom(g, nil) }

// scheduleFrom is schedule called by a callback of hub from (see
// Waiter.WakeFrom): when from is g's hub, g starts as soon as that callback
// returns, as gevent starts a link's greenlet inside the notification.
func (h *Hub) scheduleFrom(g *G, from *Hub) {
	h.mu.Lock()
	if h.phase == phaseClosed {
		h.mu.Unlock()
		g.Kill(ErrHubClosed)
		return
	}
	h.addLiveLocked(g)
	h.notePendingLocked()
	if from == h && h.inPass && h.current == nil && h.phase == phaseRunning {
		h.direct = append(h.direct, g)
		h.mu.Unlock()
		return
	}
	t := runTask(g)
	t.src = h.srcTag()
	h.queueLocked(t)
	p := h.wakeLocked()
	stopping := h.phase == phaseStopping
	h.mu.Unlock()
	if p != nil {
		p.Wakeup()
	}
	if stopping {
		g.Kill(ErrGreenletExit)
	}
}

func (h *Hub) scheduleLater(g *G, d int64) {
	h.mu.Lock()
	if h.phase == phaseClosed {
		h.mu.Unlock()
		g.Kill(ErrHubClosed)
		return
	}
	h.addLiveLocked(g)
	h.notePendingLocked()
	stopping := h.phase == phaseStopping
	h.mu.Unlock()
	if stopping {
		g.Kill(ErrGreenletExit)
		return
	}
	t := &g.newWaits().t
	t.kind = timerStart
	h.addTimer(t, time.Duration(d))
}

func (h *Hub) addLiveLocked(g *G) { h.live.add(g) }

// retire removes a dead greenlet from the live set, frees its id and queues
// its link notification.
func (h *Hub) retire(g *G, notify bool) {
	h.mu.Lock()
	if g.liveIdx != 0 {
		h.live.remove(g)
	}
	if g.id >= 0 {
		h.ids.release(g.id)
	}
	if notify {
		if h.phase == phaseClosed {
			h.mu.Unlock()
			g.notifyLinks(nil)
			return
		}
		t := notifyTask(g)
		t.src = h.srcTag()
		h.queueLocked(t)
		p := h.wakeLocked()
		h.mu.Unlock()
		if p != nil {
			p.Wakeup()
		}
		return
	}
	h.mu.Unlock()
}

// Live returns the number of live greenlets (started, not dead).
func (h *Hub) Live() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.live.n
}

// loopNow returns the cached loop time (see now), or reads the clock.
func (h *Hub) loopNow() int64 {
	if n := h.now.Load(); n != 0 {
		return n - 1
	}
	return h.clock.Now()
}

// refreshNow reads the clock and caches the reading. Loop-only.
func (h *Hub) refreshNow() int64 {
	n := h.clock.Now()
	h.now.Store(n + 1) // 0 means no reading
	return n
}

// Hold records outside work that will post back to the hub (it keeps the
// hub from declaring ErrLoopExit); Unhold releases it.
func (h *Hub) Hold() { h.holds.Add(1) }

// Unhold releases a Hold.
func (h *Hub) Unhold() { h.holds.Add(-1) }

// AddCloser registers f to run when the hub closes, after every greenlet has
// ended. If the hub is already closed, f runs at once.
func (h *Hub) AddCloser(f func()) {
	h.mu.Lock()
	if h.phase == phaseClosed {
		h.mu.Unlock()
		f()
		return
	}
	h.closers = append(h.closers, f)
	h.mu.Unlock()
}

// SetPoller replaces the hub's poller. Call only from a greenlet of this
// hub (the hub is then not inside Poll).
func (h *Hub) SetPoller(p Poller) {
	h.mu.Lock()
	old := h.poller
	h.poller = p
	h.mu.Unlock()
	old.Close()
}

// Poller returns the hub's poller.
func (h *Hub) Poller() Poller {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.poller
}

// Stop asks Serve to kill every greenlet and return. Any goroutine.
func (h *Hub) Stop() { h.Post(h.beginStop) }

func (h *Hub) beginStop() {
	h.mu.Lock()
	if h.phase != phaseRunning {
		h.mu.Unlock()
		return
	}
	h.phase = phaseStopping
	gs := make([]*G, 0, h.live.n)
	h.live.each(func(g *G) bool {
		gs = append(gs, g)
		return true
	})
	h.mu.Unlock()
	// Kill in spawn order, as killall does.
	for _, g := range gs {
		g.Kill(ErrGreenletExit)
	}
}

// Serve runs the loop on the calling goroutine. With a main greenlet, the
// hub stops when main ends; without one, when Stop is called. ctx's
// cancellation kills main (or stops the hub) with ctx's cause. When Serve
// returns, every greenlet it ran has ended and its coroutines are gone.
func (h *Hub) Serve(ctx context.Context, main *G) {
	id := goid()
	h.mu.Lock()
	if h.phase != phaseIdle {
		h.mu.Unlock()
		panic("gevent: hub served twice")
	}
	// Listed as serving in the same step that ends its pending state (a
	// spawn now sees it running): no other hub may catch it in neither.
	h.loopGoid = id
	registerServing(h)
	h.phase = phaseRunning
	h.mu.Unlock()
	unlistPending(h)
	h.main = main
	h.hasMain.Store(main != nil)
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() {
			cause := context.Cause(ctx)
			h.Post(func() {
				if h.main != nil {
					h.main.Kill(cause)
				} else {
					h.beginStop()
				}
			})
		})
		defer stop()
	}
	defer h.close()
	if h.stalls != nil {
		h.startMonitor(&watcher{cfg: h.opts.Monitor, ring: h.stalls})
	}
	h.refreshNow()
	for {
		h.tracing = trace.IsEnabled()
		h.drain()
		if main != nil && main.Dead() {
			h.beginStop()
		}
		if h.phase == phaseStopping && h.quiescent() {
			return
		}
		h.iterate()
	}
}

// iterate is the rest of one loop iteration after the callback drain, in
// libev's order (reference §2.1): poll I/O; then, when neither a timer nor
// I/O is due and no callback is queued, the idle waiters; then due timers in
// deadline order; then the greenlets I/O woke; then the timeouts due, which
// have the lower priority. Each woken greenlet resumes inside the step that
// woke it.
func (h *Hub) iterate() {
	events := h.poll()
	h.collectDue()
	if h.sim != nil {
		h.sim.afterPoll()
	}
	if !events && len(h.due) == 0 && len(h.ioWoken) == 0 && h.idlers.Len() > 0 && h.runqEmpty() {
		h.inPass = true
		h.idlers.WakeAllFrom(h)
		h.inPass = false
		h.resumeDirect()
	}
	h.fireDue(h.due)
	h.due = h.due[:0]
	for i, g := range h.ioWoken {
		h.ioWoken[i] = nil
		h.switchTo(g)
	}
	h.ioWoken = h.ioWoken[:0]
	h.fireDue(h.dueTimeouts)
	h.dueTimeouts = h.dueTimeouts[:0]
}

// runPass runs f as a hub callback and then resumes the greenlets it woke
// with WakeFrom.
func (h *Hub) runPass(f func()) {
	h.inPass = true
	h.runFunc(f)
	h.inPass = false
	h.monCheck(nil)
	h.resumeDirect()
}

// runInternal is runPass for a callback of the library's own (Link.Internal)
// that neither blocks nor panics: no callback bracketing.
func (h *Hub) runInternal(f func()) {
	h.inPass = true
	f()
	h.inPass = false
	h.monCheck(nil)
	h.resumeDirect()
}

// resumeDirect resumes, in wake-up order, the greenlets a callback woke with
// WakeFrom. A resumed greenlet cannot add to the list (current is set while
// it runs), so the list is stable.
func (h *Hub) resumeDirect() {
	for i := 0; i < len(h.direct); i++ {
		g := h.direct[i]
		h.direct[i] = nil
		h.switchTo(g)
	}
	h.direct = h.direct[:0]
}

// poll waits for work: not at all if work is queued or greenlets idle, until
// the next timer otherwise. When nothing at all can ever wake the hub, it
// ends the main greenlet's wait with ErrLoopExit instead.
func (h *Hub) poll() bool {
	timeout := time.Duration(-1)
	if len(h.quiet) > 0 && h.wakeQuiet(h.Poller()) {
		timeout = 0
	} else if h.idlers.Len() > 0 || h.bi < len(h.batch) {
		timeout = 0
	} else if when, ok := h.nextTimer(); ok {
		timeout = max(0, time.Duration(when-h.clock.Now()))
	}
	h.mu.Lock()
	if len(h.runq) > 0 {
		timeout = 0
	}
	p := h.poller
	if timeout > 0 && h.sim != nil && h.sim.jump(p) {
		timeout = 0 // autojump (sim.go)
	}
	if timeout < 0 && h.deadlockedLocked(p) {
		h.mu.Unlock()
		if h.loopExit() {
			return false
		}
		h.mu.Lock()
		// The lock was released: work may have been queued, or a timer
		// armed, by another hub or goroutine that found this hub not
		// sleeping (so it sent no wake-up). Go around once more unless
		// the hub is still deadlocked.
		if !h.deadlockedLocked(p) {
			timeout = 0
		}
	}
	if timeout != 0 {
		h.sleeping.Store(true)
		h.now.Store(0)
	}
	h.mu.Unlock()
	if timeout < 0 && h.main == nil {
		h.wakeGroupMain()
	}
	if timeout < 0 || timeout >= time.Millisecond {
		h.trimCoros()
	}
	h.inPass = true
	events := p.Poll(timeout)
	h.inPass = false
	h.monCheck(nil)
	if len(h.direct) > 0 {
		h.ioWoken = append(h.ioWoken, h.direct...)
		clear(h.direct)
		h.direct = h.direct[:0]
	}
	if timeout != 0 {
		h.mu.Lock()
		h.sleeping.Store(false)
		h.mu.Unlock()
		h.refreshNow()
	}
	return events
}

// drain runs queued tasks in FIFO order, including those queued while it
// runs, until the queue is empty or the switch interval has passed (checked
// every 64 tasks) so that timers and I/O are not starved.
func (h *Hub) drain() {
	var start int64
	sim := h.sim // fixed since NewHub: a register test per task
	h.passN, h.passCheck = 0, 64
	for {
		if h.bi >= len(h.batch) {
			if !h.swapBatch() {
				return
			}
			if sim != nil {
				sim.batch(h.batch)
			}
		}
		t := h.batch[h.bi]
		h.batch[h.bi] = task{} // drop the references now; cheaper than clear per batch
		h.bi++
		h.nextSegment()
		h.passN++
		prefetchRun(h.batch, h.bi+aheadRun-1)
		if sim != nil {
			sim.task(&t)
		}
		switch t.kind {
		case taskRun:
			// switchTo, written out: a frame fewer between the loop
			// and the coroutine switch is a return fewer mispredicted
			// when the greenlet switches back.
			if g := (*G)(t.p); g.co != nil || h.start(g) {
				h.current = g
				if !h.noHandoff {
					h.handing = g
				}
				g.co.next()
				h.handing = nil
				h.current = nil
				if e := h.endedAway; e != nil {
					h.endedAway = nil
					h.ended(e)
				}
				if g.co.g == nil {
					h.ended(g)
				}
				h.monCheck(g)
			}
		case taskNotify:
			(*G)(t.p).notifyLinks(h)
		case taskFunc:
			h.runPass(t.f())
		}
		if h.passN >= h.passCheck { // (handoff may have run tasks past it)
			h.passCheck = h.passN + 64
			now := h.refreshNow()
			if start == 0 {
				start = now
			} else if time.Duration(now-start) > h.opts.SwitchInterval {
				return
			}
		}
	}
}

// switchTo starts or resumes g on its coroutine and returns when g parks or
// ends.
func (h *Hub) switchTo(g *G) {
	if g.co == nil && !h.start(g) {
		return
	}
	h.current = g
	g.co.resume()
	h.current = nil
	if g.co.g == nil {
		h.ended(g)
	}
	h.monCheck(g)
}

// start gives g, which has not run yet, a coroutine. It reports false when
// g was killed before it started (there is nothing to run).
func (h *Hub) start(g *G) bool {
	if !g.transition(StateScheduled, StateRunning) {
		return false
	}
	c := h.getCoro()
	c.g = g
	g.co = c
	return true
}

// ended recycles the coroutine of g, which has just returned from its
// body, and reports its failure.
func (h *Hub) ended(g *G) {
	c := g.co
	g.co = nil
	h.putCoro(c)
	if err := g.err; err != nil && !IsExit(err) {
		h.reportEnd(g)
	}
	if g == h.main && h.phase == phaseRunning {
		// Main has returned: nothing queued after it may start.
		h.beginStop()
	}
}

// runClosed runs f for a hub that has closed, on the calling goroutine
// (any): no loop state is touched, since several goroutines may do this at
// once.
func (h *Hub) runClosed(f func()) {
	if !h.opts.CrashOnPanic {
		defer func() {
			if p := recover(); p != nil {
				h.report(nil, h.panicked(p))
			}
		}()
	}
	f()
}

// runFunc runs f as a callback on the hub's own goroutine: runClosed, marked
// as a callback for the misuse checks.
func (h *Hub) runFunc(f func()) {
	h.enterCallback()
	defer h.leaveCallback()
	h.runClosed(f)
}

// enterCallback and leaveCallback bracket user code the hub runs on its own
// goroutine (a callback, the error handler): a blocking call there would
// freeze the hub, and Prepare and the goroutine waiter check for it.
func (h *Hub) enterCallback() {
	h.inCallback = true
	h.cbActive.Store(true)
}

func (h *Hub) leaveCallback() {
	h.inCallback = false
	h.cbActive.Store(false)
}

// close runs after every greenlet has ended: it releases idle coroutines,
// runs the closers and the poller's Close, and marks the hub closed.
func (h *Hub) close() {
	h.stopMonitor()
	for _, c := range h.free {
		c.end()
	}
	h.free, h.freeSP = nil, nil
	h.mu.Lock()
	h.phase = phaseClosed
	unregisterServing(h)
	closers := h.closers
	h.closers = nil
	rest := h.takeQueuedLocked()
	p := h.poller
	h.mu.Unlock()
	for _, t := range rest {
		switch t.kind {
		case taskNotify:
			t.g().notifyLinks(nil)
		case taskFunc:
			h.runFunc(t.f())
		}
	}
	for _, f := range closers {
		f()
	}
	p.Close()
}
