package core

// The stall monitor (gevent's max_blocking_time): a goroutine of its own
// that reports a greenlet, or a callback, that holds the hub longer than a
// threshold without reaching a switch point.
//
// Probe/acknowledge protocol. Every tick the monitor posts a new probe
// number (and the time it posted it). The hub, at every switch point (the
// end of each greenlet run slice (drain, switchTo), the end of each callback in
// runPass, the return of each Poll), loads the probe and, when it changed,
// acknowledges it: one atomic load per switch, one store per tick. An
// unacknowledged probe a+1 posted at t proves that the hub has passed no
// switch point since t, so whoever runs on it has held it at least now − t:
// a report is never early, and one armed for t + threshold is at most one
// tick late. A hub asleep in its poller holds nothing (it acknowledges as
// soon as Poll returns).
//
// The holder is named without any per-switch bookkeeping: in one goroutine
// dump the hub's goroutine is parked in a coroutine switch while a greenlet
// runs, and that greenlet's coroutine is the one goroutine showing
// G.run(<g>) for a live greenlet of the hub that is not parked in a switch
// itself; that gives the greenlet and its live stack. When the hub's
// goroutine is not in a coroutine switch, a callback holds it: its own stack
// is the report.

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// MonitorConfig configures a stall monitor (Options.Monitor).
type MonitorConfig struct {
	// Threshold is the longest a greenlet or callback may hold the hub
	// between switch points before it is reported; 0 turns the monitor off.
	Threshold time.Duration
	// Tick is how often the monitor posts a probe (0: Threshold/10, at
	// least 1ms). A report comes at most one tick after Threshold.
	Tick time.Duration
	// StackLimit is the number of goroutines above which no goroutine dump
	// is taken (it stops the world for time proportional to their number):
	// the report then names the holder only at the end of the hold.
	// 0: DefaultStackLimit; negative: never dump.
	StackLimit int
	// Report receives each event, on the monitor's goroutine; it must not
	// block for long (the next report waits for it). Nil: events are only
	// kept for RecentStalls.
	Report func(StallEvent)
}

// DefaultStackLimit is MonitorConfig.StackLimit's default.
const DefaultStackLimit = 10000

// StallEvent describes one hold of a hub: its detection, or its end.
type StallEvent struct {
	// G is the greenlet that held the hub; nil when a callback held it
	// (Callback) or when it could not be identified at detection.
	G *G
	// Callback says a hub callback (a link or timer function, a posted
	// function, the poller) held the hub rather than a greenlet.
	Callback bool
	// Name, ID and Func describe G (Func: its function; "" if unknown).
	Name string
	ID   int
	Func string
	// SpawnStack is G's spawning stack, when it was recorded.
	SpawnStack []uintptr
	// Held is how long the hub had been held at detection (at least this
	// long), or the whole hold at its end (within one tick).
	Held time.Duration
	// Ended says this event is the end of a hold reported before.
	Ended bool
	// Stack is the holder's live stack at detection ("" for end events, or
	// when no dump was taken).
	Stack string
	// At is when the event was made.
	At time.Time
}

// stallRingSize is how many events RecentStalls keeps.
const stallRingSize = 64

// stallRing keeps the last events of a hub's configured monitor.
type stallRing struct {
	mu  sync.Mutex // guards the fields below
	buf [stallRingSize]StallEvent
	n   int // events ever added
}

func (r *stallRing) add(e StallEvent) {
	r.mu.Lock()
	r.buf[r.n%stallRingSize] = e
	r.n++
	r.mu.Unlock()
}

// RecentStalls returns the last 64 events of the hub's stall monitor,
// oldest first (nil without a monitor). Any goroutine.
func (h *Hub) RecentStalls() []StallEvent {
	r := h.stalls
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := min(r.n, stallRingSize)
	out := make([]StallEvent, 0, k)
	for i := r.n - k; i < r.n; i++ {
		out = append(out, r.buf[i%stallRingSize])
	}
	return out
}

// monCheck is the hub's side of the protocol, at every switch point:
// holder is the greenlet whose run slice just ended (nil: a callback or the
// poller). Loop-only.
func (h *Hub) monCheck(holder *G) {
	if m := h.mon; m != nil {
		if p := m.probe.Load(); p != h.monSeen {
			h.monAck(m, p, holder)
		}
	}
}

// monAck acknowledges probe p (once per tick at most) and tells the
// monitor who held the hub since the previous acknowledgement, and when
// that ended; when a hold was reported, it wakes the monitor to report the
// end. The account is recorded whether or not a hold is open: the monitor
// may detect a hold, and open it, just after the hub passed its end, and
// its end event must still name the holder (a detection without a stack
// dump knows none). It is recorded before the acknowledgement, so that a
// monitor that sees the acknowledgement sees the account.
func (h *Hub) monAck(m *prober, p uint64, holder *G) {
	prev := h.monSeen
	h.monSeen = p
	m.mu.Lock()
	m.endFrom, m.endG, m.endAt = prev, holder, time.Now()
	m.mu.Unlock()
	m.ack.Store(p)
	if m.open.Load() {
		m.wakeup()
	}
}

// watcher is one party interested in the holds of a hub: the configured
// monitor, or an AssertSwitches call.
type watcher struct {
	cfg       MonitorConfig
	ring      *stallRing // the hub's ring, for the configured monitor
	reported  bool       // a hold was reported and its end not yet seen
	holdAck   uint64     // the acknowledged probe during that hold
	holdStart int64      // its start (monitor clock)
	holdG     *G         // its holder as identified at detection
	holdCB    bool
	events    []StallEvent // collected, for Collect watchers (AssertSwitches)
	collect   bool
	// addedAt is when the watcher joined (monitor clock): a hold that began
	// before is measured from then.
	addedAt int64
}

// startOf is when w counts the hold that began by start.
func (w *watcher) startOf(start int64) int64 { return max(start, w.addedAt) }

// postedRing is how many probe times the monitor remembers; a hold older
// than that many ticks is measured from the oldest one (an understatement,
// never an early report).
const postedRing = 1024

// prober is a hub's monitor goroutine and its shared state.
type prober struct {
	h     *Hub
	probe atomic.Uint64 // the last probe posted (monitor writes)
	ack   atomic.Uint64 // the last probe the hub saw (hub writes)
	open  atomic.Bool   // some watcher reported a hold whose end it has not seen
	wake  chan struct{} // capacity 1: an end, or a watcher change
	stop  chan struct{}
	done  chan struct{}
	base  time.Time

	mu       sync.Mutex // guards the fields below
	watchers []*watcher
	posted   [postedRing]int64 // time each probe was posted (monitor clock)
	idleAt   int64             // last time the hub was seen asleep
	// The hub's report of the end of a hold: the probe it had acknowledged
	// before (identifies the hold), the holder, and when it saw it.
	endFrom uint64
	endG    *G
	endAt   time.Time
}

func (m *prober) wakeup() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *prober) now() int64 { return int64(time.Since(m.base)) }

// startMonitor makes the hub's prober, with w as its first watcher. Loop
// context (the hub goroutine or its running greenlet).
func (h *Hub) startMonitor(w *watcher) *prober {
	m := &prober{
		h:    h,
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
		base: time.Now(),
	}
	m.watchers = []*watcher{w}
	m.probe.Store(h.monSeen)
	m.ack.Store(h.monSeen)
	h.mon = m
	go m.loop()
	return m
}

// stopMonitor stops the prober and waits for its goroutine: outstanding
// holds get their end events. Loop context.
func (h *Hub) stopMonitor() {
	m := h.mon
	if m == nil {
		return
	}
	h.mon = nil
	close(m.stop)
	<-m.done
}

// WatchStalls watches the hub for holds longer than max while the calling
// greenlet runs fn-like code, and returns a function that stops watching
// and returns the events seen, including a hold still in progress at that
// moment (the caller's own). Called by a greenlet of h (loop context).
func (h *Hub) WatchStalls(max time.Duration) (stop func() []StallEvent) {
	w := &watcher{cfg: MonitorConfig{Threshold: max, StackLimit: DefaultStackLimit}, collect: true}
	w.cfg.Tick = defaultTick(max)
	m := h.mon
	if m == nil {
		m = h.startMonitor(w)
	} else {
		m.mu.Lock()
		w.addedAt = m.now()
		m.watchers = append(m.watchers, w)
		m.mu.Unlock()
		m.wakeup() // it may need a shorter tick
	}
	// Post a probe now: a hold by the caller from here on is then measured
	// from its start even if the monitor goroutine gets no CPU meanwhile
	// (stop measures the caller's hold itself).
	m.mu.Lock()
	m.postLocked()
	m.mu.Unlock()
	return func() []StallEvent {
		m.mu.Lock()
		// A reported hold the hub has passed since ends now, and a hold in
		// progress now is the caller's: measure it here, so that a monitor
		// kept off the CPU (by a spinning caller) still sees both.
		if w.reported && m.ack.Load() != w.holdAck {
			m.endLocked(w, nil)
		}
		if a, j := m.ack.Load(), m.probe.Load(); a != j && !w.reported {
			start := m.postedAtLocked(a + 1)
			if held := time.Duration(m.now() - w.startOf(start)); start > m.idleAt && held >= max {
				g := h.current
				w.events = append(w.events, StallEvent{G: g, Held: held, At: time.Now()})
			}
		}
		for i, x := range m.watchers {
			if x == w {
				m.watchers = append(m.watchers[:i], m.watchers[i+1:]...)
				break
			}
		}
		last := len(m.watchers) == 0
		events := w.events
		m.mu.Unlock()
		if last && h.mon == m {
			h.stopMonitor()
		}
		for i := range events {
			events[i].describe()
		}
		return events
	}
}

func defaultTick(threshold time.Duration) time.Duration {
	return max(threshold/10, time.Millisecond)
}

// postedAtLocked returns when probe p was posted (the oldest remembered
// time for a probe too old). m.mu held.
func (m *prober) postedAtLocked(p uint64) int64 {
	if j := m.probe.Load(); j-p >= postedRing {
		p = j - postedRing + 1
	}
	return m.posted[p%postedRing]
}

// loop is the monitor goroutine: it posts probes, decides holds and
// delivers events until the hub closes (or the last watcher leaves).
func (m *prober) loop() {
	defer close(m.done)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	var lastPost int64 = -1 << 62
	for {
		now := m.now()
		m.mu.Lock()
		// The tick may have changed (a watcher came or went).
		nextTick := lastPost + int64(m.tickLocked())
		if now >= nextTick {
			now = m.postLocked()
			lastPost = now
			nextTick = now + int64(m.tickLocked())
		}
		var out []func()
		out = m.evaluateLocked(now, out)
		wakeAt := nextTick
		if d, ok := m.deadlineLocked(); ok && d < wakeAt {
			wakeAt = max(d, now)
		}
		m.mu.Unlock()
		for _, f := range out {
			f()
		}
		t.Reset(time.Duration(wakeAt - m.now()))
		select {
		case <-m.stop:
		case <-t.C:
		case <-m.wake:
		}
		select {
		case <-m.stop:
			m.finish()
			return
		default:
		}
	}
}

// postLocked posts the next probe and returns when (monitor clock). The
// time is read after the store: a switch point passed after that time has
// seen the probe, so a hold measured from it is never overstated (however
// late the poster runs). m.mu held.
func (m *prober) postLocked() int64 {
	j := m.probe.Load() + 1
	m.probe.Store(j)
	now := m.now()
	m.posted[j%postedRing] = now
	return now
}

// tickLocked is the shortest tick of the watchers.
func (m *prober) tickLocked() time.Duration {
	tick := time.Duration(-1)
	for _, w := range m.watchers {
		d := w.cfg.Tick
		if d <= 0 {
			d = defaultTick(w.cfg.Threshold)
		}
		if tick < 0 || d < tick {
			tick = d
		}
	}
	if tick < 0 {
		tick = time.Second
	}
	return tick
}

// holdLocked reports whether the hub is held now and since when.
func (m *prober) holdLocked(now int64) (start int64, a uint64, held bool) {
	a = m.ack.Load()
	if a == m.probe.Load() {
		return 0, a, false
	}
	if m.h.sleeping.Load() {
		m.idleAt = now
		return 0, a, false
	}
	start = m.postedAtLocked(a + 1)
	if start <= m.idleAt {
		return 0, a, false // asleep since the probe: it acknowledges on waking
	}
	return start, a, true
}

// deadlineLocked is the earliest time a watcher would report the hold in
// progress, if any.
func (m *prober) deadlineLocked() (int64, bool) {
	start, _, held := m.holdLocked(m.now())
	if !held {
		return 0, false
	}
	var d int64
	ok := false
	for _, w := range m.watchers {
		if w.reported {
			continue
		}
		if x := w.startOf(start) + int64(w.cfg.Threshold); !ok || x < d {
			d, ok = x, true
		}
	}
	return d, ok
}

// evaluateLocked ends the reported holds the hub has passed, and reports
// the holds that reached a watcher's threshold; the deliveries are appended
// to out, to run without m.mu.
func (m *prober) evaluateLocked(now int64, out []func()) []func() {
	ack := m.ack.Load()
	for _, w := range m.watchers {
		if w.reported && ack != w.holdAck {
			out = m.endLocked(w, out)
		}
	}
	start, a, held := m.holdLocked(now)
	if !held {
		m.open.Store(m.anyOpenLocked())
		return out
	}
	var detect []*watcher
	for _, w := range m.watchers {
		if !w.reported && time.Duration(now-w.startOf(start)) >= w.cfg.Threshold {
			detect = append(detect, w)
		}
	}
	if len(detect) == 0 {
		return out
	}
	limit := stackLimit(detect[0].cfg.StackLimit)
	for _, w := range detect[1:] {
		if l := stackLimit(w.cfg.StackLimit); l < limit {
			limit = l
		}
	}
	// The dump stops the world; it runs under m.mu, which only the hub's
	// once-per-tick acknowledgement of a reported hold also takes.
	g, cb, stack := m.h.holder(limit)
	now = m.now()
	for _, w := range detect {
		ws := w.startOf(start)
		w.reported, w.holdAck, w.holdStart, w.holdG, w.holdCB = true, a, ws, g, cb
		ev := StallEvent{G: g, Callback: cb, Held: time.Duration(now - ws), Stack: stack, At: time.Now()}
		out = m.deliverLocked(w, ev, out)
	}
	m.open.Store(true)
	// The hub may have passed a switch point before it could see open: it
	// then did not report the end, and the next evaluation ends the hold.
	if m.ack.Load() != a {
		m.wakeup()
	}
	return out
}

// stackLimit is a configured StackLimit's meaning: 0 the default, negative
// never (-1).
func stackLimit(l int) int {
	switch {
	case l == 0:
		return DefaultStackLimit
	case l < 0:
		return -1
	}
	return l
}

func (m *prober) anyOpenLocked() bool {
	for _, w := range m.watchers {
		if w.reported {
			return true
		}
	}
	return false
}

// endLocked makes w's end event: the hub's account of the end when it gave
// one for this hold, else what detection saw.
func (m *prober) endLocked(w *watcher, out []func()) []func() {
	ev := StallEvent{G: w.holdG, Callback: w.holdCB, Ended: true, At: time.Now()}
	end := m.now()
	if m.endFrom == w.holdAck && !m.endAt.IsZero() {
		ev.G, ev.Callback = m.endG, m.endG == nil
		end = int64(m.endAt.Sub(m.base))
	}
	ev.Held = time.Duration(end - w.holdStart)
	w.reported, w.holdG = false, nil
	return m.deliverLocked(w, ev, out)
}

func (m *prober) deliverLocked(w *watcher, ev StallEvent, out []func()) []func() {
	if w.collect {
		w.events = append(w.events, ev)
		return out
	}
	ring, report := w.ring, w.cfg.Report
	return append(out, func() {
		ev.describe()
		if ring != nil {
			ring.add(ev)
		}
		if report != nil {
			report(ev)
		}
	})
}

// finish ends the reported holds when the monitor stops.
func (m *prober) finish() {
	m.mu.Lock()
	var out []func()
	for _, w := range m.watchers {
		if w.reported {
			out = m.endLocked(w, out)
		}
	}
	m.mu.Unlock()
	for _, f := range out {
		f()
	}
}

// describe fills the greenlet's name, id, function and spawn stack.
func (e *StallEvent) describe() {
	g := e.G
	if g == nil || e.Name != "" {
		return
	}
	e.ID = g.ID()
	e.Name = g.Name()
	e.Func = funcName(g)
	e.SpawnStack = g.Stack()
}

// The frame the holder is recognised by: checked by TestMonitorFrames,
// which fails if it is renamed; and the state of a goroutine parked in a
// coroutine switch (runtime.waitReasonCoroutine).
const (
	runFrame       = "github.com/gevent-go/gevent/internal/core.(*G).run("
	coroutineState = "[coroutine]"
)

// holder names whoever holds the hub now, from one goroutine dump: the
// greenlet (with its coroutine's stack) or a callback (with the hub
// goroutine's stack). With more than limit goroutines (or limit < 0) no dump
// is taken and nothing is named.
func (h *Hub) holder(limit int) (g *G, callback bool, stack string) {
	if limit < 0 || runtime.NumGoroutine() > limit {
		return nil, false, ""
	}
	// h.mu is held from the dump to the lookup: a greenlet retires under
	// it, so the holder seen in the dump is still on the live list.
	h.mu.Lock()
	defer h.mu.Unlock()
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	hubBlock := goroutineBlock(buf, h.loopGoid)
	if hubBlock == nil {
		return nil, false, ""
	}
	if !switched(hubBlock) {
		return nil, true, string(hubBlock) // the hub's goroutine runs: a callback
	}
	// The greenlet that runs: one of the hub's live greenlets whose
	// coroutine is not parked in a switch (the others of the hub are).
	var block []byte
	forEachBlock(buf, func(b []byte) bool {
		i := bytes.Index(b, []byte(runFrame))
		if i < 0 || switched(b) {
			return true
		}
		args := frameArgs(b[i+len(runFrame):])
		if len(args) < 1 {
			return true
		}
		h.live.each(func(x *G) bool {
			if uintptr(unsafe.Pointer(x)) == args[0] {
				g = x
				return false
			}
			return true
		})
		if g == nil {
			return true
		}
		block = b
		return false
	})
	return g, false, string(block)
}

// switched reports whether a goroutine's block shows it parked in a
// coroutine switch: the first line is "goroutine <id> [coroutine]:".
func switched(block []byte) bool {
	line, _, _ := bytes.Cut(block, []byte("\n"))
	return bytes.Contains(line, []byte(coroutineState))
}

// forEachBlock calls f with each goroutine's block of a dump until f
// returns false.
func forEachBlock(dump []byte, f func([]byte) bool) {
	for len(dump) > 0 {
		end := bytes.Index(dump, []byte("\n\n"))
		b := dump
		if end >= 0 {
			b, dump = dump[:end], dump[end+2:]
		} else {
			dump = nil
		}
		if !f(b) {
			return
		}
	}
}

// goroutineBlock returns the block of goroutine id in a dump.
func goroutineBlock(dump []byte, id uint64) []byte {
	prefix := []byte("goroutine " + strconv.FormatUint(id, 10) + " [")
	var out []byte
	forEachBlock(dump, func(b []byte) bool {
		if bytes.HasPrefix(b, prefix) {
			out = b
			return false
		}
		return true
	})
	return out
}

// frameArgs parses the hexadecimal arguments of a traceback frame line
// ("0x1, 0x2)"); an argument printed with "?" (not known exactly) ends the
// list.
func frameArgs(s []byte) []uintptr {
	if i := bytes.IndexByte(s, ')'); i >= 0 {
		s = s[:i]
	}
	var out []uintptr
	for _, a := range bytes.Split(s, []byte(", ")) {
		if !bytes.HasPrefix(a, []byte("0x")) {
			break
		}
		v, err := strconv.ParseUint(string(a[2:]), 16, 64)
		if err != nil {
			break // "0x...?" or "..."
		}
		out = append(out, uintptr(v))
	}
	return out
}

// HeldBy names whoever holds the hub now, from one goroutine dump (it stops
// the world briefly): the greenlet with its coroutine's stack, or a callback
// (callback true) with the hub goroutine's stack. It is meant for a hub that
// does not respond (the debug handler asks it then); for a hub that is not
// held, or not served, the result says nothing (nil, false, or the stack
// of wherever its goroutine is; nothing while it sleeps in its poller).
// With more than DefaultStackLimit goroutines it returns nothing. Any
// goroutine.
func (h *Hub) HeldBy() (g *G, callback bool, stack string) {
	if h.sleeping.Load() {
		return nil, false, "" // asleep in its poller: nothing holds it
	}
	return h.holder(DefaultStackLimit)
}
