package core

// Deterministic simulation: the hooks a simulated hub runs (virtual clock and
// autojump, seeded orders, the trace hash) and the closed-world rules. Every
// hook is behind h.sim != nil, so a hub that is not simulated pays one load
// and a predictable branch where it runs them (drain, poll, the timers).

import (
	"cmp"
	"context"
	"math/bits"
	"math/rand/v2"
	"os"
	"slices"
	"sync/atomic"
	"time"
)

// Schedule says how much of the ready order a seed may change (the sim
// package documents the levels).
type Schedule uint8

// The schedule levels.
const (
	ScheduleFIFO Schedule = iota
	SchedulePerSource
	ScheduleShuffle
)

// StepKind is the kind of one step of a simulated hub.
type StepKind uint8

// The step kinds. StepDeliver is for the simulated network; StepUser for
// the application's own records.
const (
	StepRun StepKind = iota + 1
	StepNotify
	StepFunc
	StepTimer
	StepJump
	StepDeliver
	StepUser
)

// SimStep is one recorded step: its number, the virtual time, the kind, the
// spawn sequence number of the greenlet involved (0: none) and a
// kind-specific value.
type SimStep struct {
	N    uint64
	Now  int64
	Kind StepKind
	G    uint64
	Val  uint64
}

// SimOptions make a hub simulated (Options.Sim). With Virtual the hub is a
// simulation proper: a virtual clock with autojump, a closed world; without
// it only the ordering and recording hooks run, on the real clock (the
// GEVENT_SIM_FORCE test switch).
type SimOptions struct {
	Seed     uint64
	Schedule Schedule
	Virtual  bool
	// StepCost (+ a seeded jitter below StepJitter) is charged to the
	// virtual clock for every task the hub runs.
	StepCost, StepJitter time.Duration
	// Epoch is the virtual wall time at the start.
	Epoch time.Time
	// MaxTime and MaxSteps kill the main greenlet with ErrTimeLimit or
	// ErrStepLimit once passed (0: no limit).
	MaxTime  time.Duration
	MaxSteps uint64
	// BlockingCost is the virtual time an inline Blocking call takes.
	BlockingCost time.Duration
	// AllowRealIO admits real sockets and std-library deadlines.
	AllowRealIO bool
	// Trace receives every step, on the hub's goroutine or the running
	// greenlet's, between steps (it may read, not call into, the hub).
	Trace func(SimStep)
	// FixedTies keeps timers due at the same instant in arming order (the
	// GEVENT_SIM_FORCE test mode).
	FixedTies bool
}

// Errors that end a simulation that would not finish.
var (
	ErrTimeLimit = simError("gevent/sim: virtual time limit reached")
	ErrStepLimit = simError("gevent/sim: step limit reached")
)

type simError string

func (e simError) Error() string { return string(e) }

// VirtualClock is a simulated hub's clock: only the hub moves it (autojump,
// step costs); Now is an atomic load because timers may be armed off the hub.
type VirtualClock struct{ now atomic.Int64 }

// Now returns the virtual time since the start.
func (c *VirtualClock) Now() int64 { return c.now.Load() }

// Sim is the state of a simulated hub. Loop-only (the hub goroutine and the
// greenlet it runs), except seq, which spawns from anywhere advance.
type Sim struct {
	h     *Hub
	opts  SimOptions
	clock *VirtualClock // nil on the real clock

	// rng chooses the orders; user is a separate stream for the
	// application (sim.Rand), so that its draws do not shift the schedule.
	rng  rand.PCG
	user *rand.Rand

	hash  uint64
	steps uint64
	limit error // the limit that ended the run, once one did
	// jumped says the last poll moved the clock (see afterPoll).
	jumped bool

	seq atomic.Uint64 // spawn sequence numbers

	// Scratch for PerSource.
	scratch []task
	keys    []uint32
	cursor  map[uint32]int
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func newSim(h *Hub, o SimOptions) *Sim {
	s := &Sim{h: h, opts: o, hash: fnvOffset}
	s.rng.Seed(o.Seed, o.Seed^0x9e3779b97f4a7c15)
	if o.Virtual {
		s.clock = &VirtualClock{}
	}
	return s
}

// forcedSim is the GEVENT_SIM_FORCE=fifo switch: every hub that is not
// simulated runs the simulation's ordering and recording hooks in FIFO order
// on the real clock, so that the suite proves the hooks change nothing
// gevent's contract fixes. Timers due at the same instant keep their arming
// order there: the suite pins it (timer_fuzz_test.go), and a simulation's
// FIFO permutes them only because gevent (libev's heap) leaves it open.
var forcedSim = parseForce(os.Getenv("GEVENT_SIM_FORCE"))

func parseForce(v string) *SimOptions {
	switch v {
	case "":
		return nil
	case "fifo":
		return &SimOptions{Schedule: ScheduleFIFO, FixedTies: true}
	}
	panic("gevent: GEVENT_SIM_FORCE=" + v + ": want fifo")
}

// Sim returns the hub's simulation state when the hub is a simulation proper
// (virtual clock, closed world), nil otherwise.
func (h *Hub) Sim() *Sim {
	if s := h.sim; s != nil && s.clock != nil {
		return s
	}
	return nil
}

// closedWorld reports whether the hub is a simulation proper: nothing
// outside it counts for its ErrLoopExit decision.
func (h *Hub) closedWorld() bool { return h.sim != nil && h.sim.clock != nil }

// WallNow is the hub clock as wall time: the virtual Epoch plus the elapsed
// virtual time in a simulation, time.Now() otherwise.
func (h *Hub) WallNow() time.Time {
	if s := h.Sim(); s != nil {
		return h.base.Add(time.Duration(s.clock.Now()))
	}
	return time.Now()
}

// Options returns the options the simulation was made with.
func (s *Sim) Options() SimOptions { return s.opts }

// Hash returns the trace hash so far.
func (s *Sim) Hash() uint64 { return s.hash }

// Steps returns the number of steps so far.
func (s *Sim) Steps() uint64 { return s.steps }

// Elapsed returns the virtual time since the start.
func (s *Sim) Elapsed() time.Duration { return time.Duration(s.clock.Now()) }

// Limit returns ErrTimeLimit or ErrStepLimit when the run hit one, or nil.
func (s *Sim) Limit() error { return s.limit }

// Rand returns the application's seeded source (a stream of its own).
func (s *Sim) Rand() *rand.Rand {
	if s.user == nil {
		s.user = rand.New(rand.NewPCG(s.opts.Seed^0x5851f42d4c957f2d, s.opts.Seed+1))
	}
	return s.user
}

// IntN returns a seeded number in [0, n) from the schedule's own stream
// (Lemire's method, written here so that a seed means the same run on every
// Go release). n > 0.
func (s *Sim) IntN(n int) int {
	un := uint64(n)
	hi, lo := bits.Mul64(s.rng.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(s.rng.Uint64(), un)
		}
	}
	return int(hi)
}

// Record folds one step into the hash (and the trace).
func (s *Sim) Record(kind StepKind, g *G, val uint64) { s.record(kind, GSeq(g), val) }

// Sleep parks the running greenlet of ctx for d of hub time (Blocking's
// cost); it returns ctx's cause if cancelled.
func (s *Sim) Sleep(ctx context.Context, d time.Duration) error {
	g := Current(ctx)
	if g == nil || d <= 0 {
		return Cause(ctx)
	}
	return s.h.Sleep(ctx, g, d)
}

// GSeq returns the spawn sequence number of a simulated hub's greenlet: its
// identity in traces (addresses and ids vary from run to run). 0 for nil or a
// greenlet of a hub that is not simulated.
func GSeq(g *G) uint64 {
	if g == nil || g.extra == nil {
		return 0
	}
	return g.extra.seq
}

func (s *Sim) now() int64 {
	if s.clock == nil {
		return 0 // real clock: not part of the trace
	}
	return s.clock.Now()
}

func (s *Sim) record(kind StepKind, g, val uint64) {
	s.steps++
	now := s.now()
	h := s.hash
	for _, w := range [4]uint64{uint64(kind), g, val, uint64(now)} {
		for i := 0; i < 64; i += 8 {
			h ^= (w >> i) & 0xff
			h *= fnvPrime
		}
	}
	s.hash = h
	if s.opts.Trace != nil {
		s.opts.Trace(SimStep{N: s.steps, Now: now, Kind: kind, G: g, Val: val})
	}
	if s.opts.MaxSteps != 0 && s.steps > s.opts.MaxSteps && s.limit == nil {
		s.hitLimit(ErrStepLimit)
	}
}

// hitLimit ends the run: main is killed with err.
func (s *Sim) hitLimit(err error) {
	s.limit = err
	if m := s.h.main; m != nil {
		m.Kill(err)
	} else {
		s.h.beginStop()
	}
}

// task records a task about to run and charges its step cost (drain).
func (s *Sim) task(t *task) {
	if c := s.clock; c != nil && (s.opts.StepCost > 0 || s.opts.StepJitter > 0) {
		d := int64(s.opts.StepCost)
		if s.opts.StepJitter > 0 {
			d += int64(s.IntN(int(s.opts.StepJitter)))
		}
		c.now.Add(d)
		s.h.now.Store(c.Now() + 1)
	}
	s.record(StepRun+StepKind(t.kind), GSeq(t.g()), uint64(t.src))
}

// timer records a due timer about to fire (fireDue).
func (s *Sim) timer(t *timer) { s.record(StepTimer, GSeq(t.owner()), uint64(t.kind)) }

// batch orders a ready batch the hub has just swapped in (drain).
func (s *Sim) batch(b []task) {
	switch s.opts.Schedule {
	case SchedulePerSource:
		s.mergeSources(b)
	case ScheduleShuffle:
		for i := len(b) - 1; i > 0; i-- {
			j := s.IntN(i + 1)
			b[i], b[j] = b[j], b[i]
		}
	}
}

// mergeSources permutes b as a uniformly random merge of its per-source
// subsequences: the tasks any one source queued keep their order. The
// multiset of source tags is shuffled; position i then takes the next task of
// the source drawn there.
func (s *Sim) mergeSources(b []task) {
	if len(b) < 2 {
		return
	}
	s.scratch = append(s.scratch[:0], b...)
	s.keys = s.keys[:0]
	for i := range b {
		s.keys = append(s.keys, b[i].src)
	}
	for i := len(s.keys) - 1; i > 0; i-- {
		j := s.IntN(i + 1)
		s.keys[i], s.keys[j] = s.keys[j], s.keys[i]
	}
	// Stable by source: each source's tasks contiguous, in queue order.
	slices.SortStableFunc(s.scratch, func(a, b task) int { return cmp.Compare(a.src, b.src) })
	if s.cursor == nil {
		s.cursor = make(map[uint32]int)
	}
	clear(s.cursor)
	for i := len(s.scratch) - 1; i >= 0; i-- {
		s.cursor[s.scratch[i].src] = i // first index of each source
	}
	for i, k := range s.keys {
		j := s.cursor[k]
		b[i] = s.scratch[j]
		s.cursor[k] = j + 1
	}
	clear(s.scratch)
}

// srcTag is the source of a task queued now: the spawn sequence number of
// the running greenlet (0: the hub itself, a timer, I/O or a callback).
// Needed only by PerSource; loop-only there (a simulation is closed).
func (h *Hub) srcTag() uint32 {
	if s := h.sim; s == nil || s.opts.Schedule != SchedulePerSource {
		return 0
	}
	return uint32(GSeq(h.current))
}

// shuffleTies permutes each run of timers due at the same instant: the order
// gevent leaves open. Timers with different deadlines never swap, and
// sleeps stay before timeouts (they are in separate lists).
func (s *Sim) shuffleTies(due []*timer) {
	if s.opts.FixedTies {
		return
	}
	for i := 0; i < len(due); {
		j := i + 1
		for j < len(due) && due[j].when == due[i].when {
			j++
		}
		for k := j - 1; k > i; k-- {
			m := i + s.IntN(k-i+1)
			due[k], due[m] = due[m], due[k]
		}
		i = j
	}
}

// jump is autojump: when nothing is runnable (the caller checked the queue)
// and nothing outside is pending, the virtual clock moves to the next timer
// and the loop polls without blocking. h.mu is held: nothing here may call
// out (the Trace callback runs from afterPoll).
func (s *Sim) jump(p Poller) bool {
	h := s.h
	if s.clock == nil || h.holds.Load() > 0 || p.Busy() {
		return false
	}
	when, ok := h.nextTimer()
	if !ok {
		return false
	}
	if s.opts.MaxTime > 0 && when > int64(s.opts.MaxTime) && s.limit == nil {
		// Post the kill: the lock is held here.
		s.limit = ErrTimeLimit
		h.runq = append(h.runq, funcTask(func() { s.hitLimit(ErrTimeLimit) }))
		return true
	}
	if when > s.clock.Now() {
		s.clock.now.Store(when)
		h.now.Store(when + 1)
	}
	s.jumped = true // recorded by afterPoll, without the hub's lock
	return true
}

// afterPoll records a jump the poll made and permutes the ties among the
// timers it found due (iterate, after collectDue).
func (s *Sim) afterPoll() {
	if s.jumped {
		s.jumped = false
		s.record(StepJump, 0, 0)
	}
	s.shuffleTies(s.h.due)
	s.shuffleTies(s.h.dueTimeouts)
}

// initG gives a greenlet of a simulated hub its spawn sequence number, in the
// greenlet's extra block (allocated before the greenlet is published, so
// that later writers of the block never replace the pointer).
func (s *Sim) initG(g *G) {
	if g.extra == nil {
		g.extra = &gExtra{}
	}
	g.extra.seq = s.seq.Add(1)
}

// RefusesRealIO reports whether ctx belongs to a simulation that does not
// admit real I/O (sockets, std-library deadlines).
func RefusesRealIO(ctx context.Context) bool {
	h := HubOf(ctx)
	if h == nil {
		return false
	}
	s := h.Sim()
	return s != nil && !s.opts.AllowRealIO
}

// refuseStdDeadline fails a wait of a simulated greenlet on a foreign context
// that has a deadline: its timer runs in real time, outside the seed.
func (w *Waiter) refuseStdDeadline(ctx context.Context) bool {
	g := w.g
	if g == nil || !RefusesRealIO(g) {
		return false
	}
	if _, ok := ctx.Deadline(); !ok {
		return false
	}
	err := simError("gevent: std-library deadline in a simulation (context.WithTimeout or WithDeadline): " +
		"its timer runs in real time, outside the seed; use gevent.WithTimeout")
	w.Cancel(err)
	g.Kill(err) // the greenlet cannot go on as if it had a deadline
	return true
}

// seeThrough returns the greenlet whose context ctx only wraps with values
// (context.WithValue chains, logging and tracing wrappers): ctx's Done is
// that greenlet's own channel, so a wait can register on the greenlet's
// canceler instead of watching ctx through a goroutine.
func seeThrough(ctx context.Context, d <-chan struct{}) *G {
	g, _ := ctx.Value(greenletKey{}).(*G)
	if g == nil || !g.hasDone() {
		return nil
	}
	if gd, _ := g.canceler.doneChan(); gd != d {
		return nil
	}
	return g
}

// RunSimulated runs main on a new simulated hub (set by the root package,
// which owns the greenlet types; package sim calls it).
var RunSimulated func(ctx context.Context, o SimOptions, main func(ctx context.Context) error) (*Sim, error)
