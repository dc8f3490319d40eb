package gevent_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
)

// FuzzTimers drives a hub's timers with a random script — greenlets that
// sleep, some inside a WithTimeout or a started NewTimeout; SpawnLater; kills;
// Greenlet.Cancel; timeout cancels; the main greenlet advancing the clock —
// with durations from half a second to math.MaxInt64, and compares what
// fires, when and in which order with timerModel, a step-by-step simulation
// of the hub loop.
//
// The run is inside a testing/synctest bubble: the hub's clock is the
// bubble's fake clock, so every timer fires exactly at its deadline, an hour
// of sleeps takes microseconds, and a run is deterministic.
//
// What the model assumes (and so pins):
//   - a timer fires exactly at now+d (d <= 0: now), saturated at
//     math.MaxInt64: a timer of a near-maximum duration never fires and does
//     not hold up any other timer;
//   - Sleep(d <= 0) is a Yield, not a timer;
//   - the timers due at one instant fire in deadline order and, for equal
//     deadlines, in the order they were armed (first armed, first fired:
//     our choice, libev leaves it open);
//   - sleeps and delayed starts due at an instant fire first, the greenlets
//     they wake run, and only then do the timeouts due at that instant fire
//     (gevent's rule): so a timeout that a woken greenlet cancels or outlives
//     is never delivered, and the main greenlet woken at an instant can still
//     cancel a timeout due at that same instant;
//   - a kill of a parked greenlet wakes it through the callback queue in FIFO
//     order with everything else; a kill of a greenlet whose wait already
//     ended (woken, not yet run) changes nothing; a greenlet killed before
//     it first runs never runs.
func FuzzTimers(f *testing.F) {
	for _, s := range timerSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ops := decodeTimerOps(data)
		underDeadline(20*time.Second, fmt.Sprint(ops), func() {
			synctest.Test(t, func(t *testing.T) { checkTimerScript(t, ops) })
		})
	})
}

// underDeadline runs f and panics, naming what, if f has not returned after
// d of real time: a hub that froze must fail the run, not stall it. (Inside
// a synctest bubble a frozen hub can block in real time: a timer at the end
// of time is not one the bubble advances to.)
func underDeadline(d time.Duration, what string, f func()) {
	watchdog := time.AfterFunc(d, func() {
		panic(fmt.Sprintf("still running after %v of real time (a frozen hub?): %s", d, what))
	})
	defer watchdog.Stop()
	f()
}

// unit is the step of the main greenlet's clock; timers use half units, so
// that their deadlines fall both on and between the main greenlet's instants.
const unit = time.Second

// Opcodes of a timer script.
const (
	topSpawn         = iota // a greenlet: optional timeout, then a Sleep
	topSpawnLater           // SpawnLater of a greenlet that logs
	topKill                 // gevent.Kill of an entity, without a switch
	topCancelStart          // Greenlet.Cancel (kill only if not started)
	topCancelTimeout        // cancel an entity's timeout
	topAdvance              // the main greenlet sleeps 1-4 units
	nTimerOps
)

// Timeout kinds of a spawned greenlet.
const (
	tkNone = iota // Sleep(ctx, d2)
	tkWith        // c, cancel := WithTimeout(ctx, d1); Sleep(c, d2)
	tkNew         // c := t.Start(ctx) of a NewTimeout(d1) made by main; Sleep(c, d2)
)

// durSpec is a duration chosen by a script: k half units, or an extreme.
// Some extremes depend on the clock reading when the timer is armed.
type durSpec uint8

const specialBase = 192 // a byte >= specialBase picks specials[b-specialBase]

var specials = []struct {
	name string
	d    func(now int64) time.Duration
}{
	{"-1ns", func(int64) time.Duration { return -1 }},
	{"MinInt64", func(int64) time.Duration { return math.MinInt64 }},
	{"MaxInt64", func(int64) time.Duration { return math.MaxInt64 }},
	{"MaxInt64-1", func(int64) time.Duration { return math.MaxInt64 - 1 }},
	{"MaxInt64-now", func(now int64) time.Duration { return time.Duration(math.MaxInt64 - now) }},
	{"MaxInt64-now+1", func(now int64) time.Duration { // overflows now+d by one
		if now == 0 {
			return math.MaxInt64
		}
		return time.Duration(math.MaxInt64 - now + 1)
	}},
	{"1<<62", func(int64) time.Duration { return 1 << 62 }},
	{"MaxInt64/2+1", func(int64) time.Duration { return math.MaxInt64/2 + 1 }},
	{"1000units", func(int64) time.Duration { return 1000 * unit }},
	{"1ns", func(int64) time.Duration { return 1 }},
	{"unit/2-1ns", func(int64) time.Duration { return unit/2 - 1 }},
	{"MaxInt64-2units", func(int64) time.Duration { return math.MaxInt64 - 2*unit }},
}

func (s durSpec) at(now int64) time.Duration {
	if s >= specialBase {
		return specials[int(s-specialBase)%len(specials)].d(now)
	}
	return time.Duration(s%16) * unit / 2
}

func (s durSpec) String() string {
	if s >= specialBase {
		return specials[int(s-specialBase)%len(specials)].name
	}
	return (time.Duration(s%16) * unit / 2).String()
}

// timerOp is one step of a script. Entity indexes are taken modulo the
// number of entities when the step runs.
type timerOp struct {
	code   int
	tk     int
	d1, d2 durSpec
	idx    int
	units  int
}

func (o timerOp) String() string {
	switch o.code {
	case topSpawn:
		return fmt.Sprintf("spawn(tk=%d d1=%v d2=%v)", o.tk, o.d1, o.d2)
	case topSpawnLater:
		return fmt.Sprintf("later(%v)", o.d1)
	case topKill:
		return fmt.Sprintf("kill(%d)", o.idx)
	case topCancelStart:
		return fmt.Sprintf("cancelStart(%d)", o.idx)
	case topCancelTimeout:
		return fmt.Sprintf("cancelTimeout(%d)", o.idx)
	}
	return fmt.Sprintf("advance(%d)", o.units)
}

// decodeTimerOps turns fuzz bytes into a script of at most 120 steps; every
// byte string is a valid script.
func decodeTimerOps(data []byte) []timerOp {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	var ops []timerOp
	for len(data) > 0 && len(ops) < 120 {
		op := timerOp{code: int(next()) % nTimerOps}
		switch op.code {
		case topSpawn:
			op.tk = int(next()) % 3
			op.d1, op.d2 = durSpec(next()), durSpec(next())
		case topSpawnLater:
			op.d1 = durSpec(next())
		case topKill, topCancelStart, topCancelTimeout:
			op.idx = int(next())
		case topAdvance:
			op.units = 1 + int(next())%4
		}
		ops = append(ops, op)
	}
	return ops
}

// timerSeeds are the seed corpus: the cases a regression would most likely
// break (extremes beside ordinary timers, equal deadlines, cancels at the
// instant a timeout is due), plus pseudo-random scripts.
func timerSeeds() [][]byte {
	const (
		spawn, later, kill, cancelStart, cancelTO, adv = topSpawn, topSpawnLater, topKill, topCancelStart, topCancelTimeout, topAdvance
		none, with, newT                               = tkNone, tkWith, tkNew
	)
	sp := func(name string) byte {
		for i, s := range specials {
			if s.name == name {
				return byte(specialBase + i)
			}
		}
		panic(name)
	}
	max, max1, maxNow, maxNow1 := sp("MaxInt64"), sp("MaxInt64-1"), sp("MaxInt64-now"), sp("MaxInt64-now+1")
	seeds := [][]byte{
		// Every extreme as a sleep, a timeout, a delayed start, next to
		// ordinary timers that must still fire on time.
		{spawn, none, 0, max, spawn, with, max, 3, later, max1, spawn, newT, maxNow, 5, adv, 0,
			spawn, none, 0, maxNow1, later, 2, adv, 1, adv, 3, adv, 3},
		{adv, 2, spawn, with, maxNow1, max, spawn, none, 0, 2, later, maxNow, spawn, newT, sp("1<<62"), 1, adv, 3, adv, 3},
		{spawn, none, 0, sp("MaxInt64-2units"), spawn, none, 0, sp("MaxInt64/2+1"), spawn, none, 0, 1, adv, 0, adv, 0},
		// Equal deadlines: sleeps and delayed starts before timeouts, each
		// class in arming order; a sleep and its own timeout due together.
		{spawn, with, 4, max, spawn, none, 0, 4, later, 4, spawn, newT, 4, max, spawn, with, 4, 4, adv, 3},
		// Zero and negative durations: Yield for Sleep, "now" for timers.
		{spawn, none, 0, 0, spawn, with, 0, max, later, 0, spawn, newT, sp("-1ns"), max, later, sp("MinInt64"), adv, 0},
		// Timeouts due at the main greenlet's own instant: cancelled or
		// killed then, they are never delivered.
		{spawn, newT, 2, max, spawn, with, 2, max, spawn, newT, 2, max, adv, 0,
			cancelTO, 0, cancelTO, 1, kill, 2, adv, 0},
		// Kills and Cancel: before the start, while parked, after the end.
		{spawn, none, 0, 6, later, 2, kill, 0, cancelStart, 1, spawn, none, 0, 6, later, 4, adv, 0,
			kill, 2, cancelStart, 3, adv, 3, cancelStart, 3, kill, 2},
		// A delayed start due at the main greenlet's instant, armed after
		// the main greenlet's sleep: Cancel still stops it.
		{adv, 0, later, 2, adv, 0, cancelStart, 0, adv, 0},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 24 {
		b := make([]byte, 40+rng.IntN(120))
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// timerEvent is one observable event: an entity's wait ended (or its
// delayed start ran) at a time on the hub clock.
type timerEvent struct {
	id   int
	what string // fired, later, timeout, killed, canceled
	at   time.Duration
}

func (e timerEvent) String() string { return fmt.Sprintf("e%d %s @%v", e.id, e.what, e.at) }

// checkTimerScript runs ops on a hub and compares the events, the results of
// Greenlet.Cancel and each greenlet's final error with timerModel's.
func checkTimerScript(t *testing.T, ops []timerOp) {
	model := newTimerModel(ops)
	model.run()

	type entity struct {
		g      *gevent.Greenlet[struct{}]
		to     *gevent.Timeout
		cancel context.CancelFunc // published by a tkWith greenlet when it starts
		tk     int
		later  bool
	}
	var (
		events     []timerEvent
		cancelRes  []bool
		start      = time.Now()
		now        = func() time.Duration { return time.Since(start) }
		ents       []*entity
		classifyOf = func(err error) string {
			var to *gevent.Timeout
			switch {
			case err == nil:
				return "fired"
			case errors.Is(err, gevent.ErrGreenletExit):
				return "killed"
			case errors.As(err, &to):
				return "timeout"
			case errors.Is(err, context.Canceled):
				return "canceled"
			}
			return "unexpected error: " + err.Error()
		}
	)
	pick := func(i int) *entity {
		if len(ents) == 0 {
			return nil
		}
		return ents[i%len(ents)]
	}
	quiet := gevent.WithErrorHandler(func(gevent.Task, error) {})
	geventtest.Run(t, func(ctx context.Context) error {
		do := func(op timerOp) {
			switch op.code {
			case topSpawn:
				id := len(ents)
				e := &entity{tk: op.tk}
				ents = append(ents, e)
				d1, d2 := op.d1.at(int64(now())), op.d2.at(int64(now()))
				if op.tk == tkNew {
					e.to = gevent.NewTimeout(d1, nil)
				}
				e.g = gevent.Go(ctx, func(ctx context.Context) error {
					c := ctx
					switch op.tk {
					case tkWith:
						var cancel context.CancelFunc
						c, cancel = gevent.WithTimeout(ctx, d1)
						e.cancel = cancel
						defer cancel()
					case tkNew:
						c = e.to.Start(ctx)
						defer e.to.Cancel()
					}
					err := gevent.Sleep(c, d2)
					var to *gevent.Timeout
					if op.tk == tkNew && errors.As(err, &to) && to != e.to {
						err = fmt.Errorf("ended by another Timeout: %w", err)
					}
					events = append(events, timerEvent{id, classifyOf(err), now()})
					return err
				})
			case topSpawnLater:
				id := len(ents)
				ents = append(ents, &entity{later: true})
				ents[id].g = gevent.SpawnLater(ctx, op.d1.at(int64(now())), func(ctx context.Context) (struct{}, error) {
					events = append(events, timerEvent{id, "later", now()})
					return struct{}{}, nil
				})
			case topKill:
				if e := pick(op.idx); e != nil {
					gevent.Kill(context.Background(), e.g)
				}
			case topCancelStart:
				if e := pick(op.idx); e != nil {
					cancelRes = append(cancelRes, e.g.Cancel())
				}
			case topCancelTimeout:
				if e := pick(op.idx); e != nil && !e.later {
					switch {
					case e.tk == tkNew:
						e.to.Cancel()
					case e.tk == tkWith && e.cancel != nil:
						e.cancel()
					}
				}
			case topAdvance:
				if err := gevent.Sleep(ctx, time.Duration(op.units)*unit); err != nil {
					t.Errorf("main Sleep = %v", err)
				}
			}
		}
		for _, op := range ops {
			do(op)
		}
		// End: kill what is left, let it run, and check the hub is idle.
		for i := range ents {
			do(timerOp{code: topKill, idx: i})
		}
		do(timerOp{code: topAdvance, units: 1})
		return nil
	}, quiet)

	if end := time.Duration(model.now); now() != end {
		t.Errorf("script %v\nRun returned at %v on the hub clock, want %v", ops, now(), end)
	}
	if !slices.Equal(events, model.events) || !slices.Equal(cancelRes, model.cancelRes) {
		t.Errorf("script %v\n got events %v\nwant events %v\n got Cancel results %v\nwant Cancel results %v",
			ops, events, model.events, cancelRes, model.cancelRes)
		return
	}
	for i, e := range ents {
		want := model.ents[i].result
		err := e.g.Err()
		got := classifyOf(err)
		if !e.g.Dead() || got != want {
			t.Errorf("script %v\nentity %d: dead=%v err=%v (%s), want dead with %s", ops, i, e.g.Dead(), err, got, want)
		}
	}
}

// timerModel simulates one hub loop: a FIFO callback queue, armed timers
// with (when, seq), and instants at which due sleeps and delayed starts fire,
// then due timeouts, each running the greenlet it wakes right inside it
// (design §2), and then the queue drains.
type timerModel struct {
	ops      []timerOp
	pc       int
	finished bool // the end-of-script kills were issued
	done     bool // the main greenlet returned

	now    int64
	seq    uint64
	timers []*mTimer
	runq   []mItem
	ents   []*mEnt

	events    []timerEvent
	cancelRes []bool
}

type mState int

const (
	msQueued      mState = iota // spawned, start queued, not run yet
	msScheduled                 // SpawnLater: its timer is armed
	msStartQueued               // SpawnLater: its timer fired, start queued
	msParked                    // in its Sleep
	msYielding                  // Sleep(d <= 0): yielded, resumption queued
	msWoken                     // its wait ended; it has not run yet
	msDead
)

type mEnt struct {
	id     int
	later  bool
	tk     int
	d1, d2 time.Duration
	state  mState
	// started: a tkWith greenlet has published its cancel function.
	started bool
	timers  []*mTimer // armed by or for it
	result  string    // what its Err will say
}

type mTimer struct {
	when    int64
	seq     uint64
	timeout bool // a Timeout (fires after the sleeps of its instant)
	armed   bool
	e       *mEnt // nil: the main greenlet's sleep
}

type mItemKind int

const (
	miMain   mItemKind = iota // run the main greenlet's next batch of steps
	miStart                   // start an entity
	miResume                  // resume a yielded entity
	miEnd                     // an entity's wait ended with what
)

type mItem struct {
	kind mItemKind
	e    *mEnt
	what string
}

func newTimerModel(ops []timerOp) *timerModel { return &timerModel{ops: ops} }

// deadline is now+d saturated at math.MaxInt64 (d <= 0: now).
func (m *timerModel) deadline(d time.Duration) int64 {
	if d <= 0 {
		return m.now
	}
	if int64(d) > math.MaxInt64-m.now {
		return math.MaxInt64
	}
	return m.now + int64(d)
}

func (m *timerModel) arm(e *mEnt, d time.Duration, timeout bool) *mTimer {
	m.seq++
	tm := &mTimer{when: m.deadline(d), seq: m.seq, timeout: timeout, armed: true, e: e}
	m.timers = append(m.timers, tm)
	if e != nil {
		e.timers = append(e.timers, tm)
	}
	return tm
}

func (m *timerModel) run() {
	m.runq = append(m.runq, mItem{kind: miMain})
	m.drain()
	for !m.done {
		m.timers = slices.DeleteFunc(m.timers, func(tm *mTimer) bool { return !tm.armed })
		if len(m.timers) == 0 {
			panic("timer model: nothing armed while the main greenlet waits")
		}
		next := slices.MinFunc(m.timers, func(a, b *mTimer) int { return cmp.Compare(a.when, b.when) }).when
		m.now = max(m.now, next)
		var due []*mTimer
		for _, tm := range m.timers {
			if tm.when <= m.now {
				due = append(due, tm)
			}
		}
		slices.SortFunc(due, func(a, b *mTimer) int {
			return cmp.Or(cmp.Compare(a.when, b.when), cmp.Compare(a.seq, b.seq))
		})
		// Sleeps and delayed starts, then timeouts; what each wakes runs
		// right inside it; what they queue runs in the next drain.
		for _, pass := range []bool{false, true} {
			for _, tm := range due {
				if tm.timeout == pass && tm.armed {
					tm.armed = false
					m.fire(tm)
				}
			}
		}
		m.drain()
	}
}

func (m *timerModel) fire(tm *mTimer) {
	e := tm.e
	switch {
	case e == nil:
		m.runMain()
	case e.later:
		if e.state == msScheduled {
			e.state = msStartQueued
			m.start(e)
		}
	case e.state == msParked:
		e.state = msWoken
		what := "fired"
		if tm.timeout {
			what = "timeout"
		}
		m.end(e, what)
	}
}

func (m *timerModel) drain() {
	for len(m.runq) > 0 {
		it := m.runq[0]
		m.runq = m.runq[1:]
		switch it.kind {
		case miMain:
			m.runMain()
		case miStart:
			m.start(it.e)
		case miResume:
			m.end(it.e, "fired")
		case miEnd:
			m.end(it.e, it.what)
		}
	}
}

// end logs e's end; its deferred cancels and Sleep's cleanup disarm its
// timers.
func (m *timerModel) end(e *mEnt, what string) {
	m.events = append(m.events, timerEvent{e.id, what, time.Duration(m.now)})
	e.state, e.result = msDead, what
	if what == "later" {
		e.result = "fired"
	}
	for _, tm := range e.timers {
		tm.armed = false
	}
}

func (m *timerModel) start(e *mEnt) {
	if e.state == msDead {
		return
	}
	if e.later {
		m.end(e, "later")
		return
	}
	e.started = true
	if e.tk != tkNone {
		m.arm(e, max(e.d1, 0), true)
	}
	if e.d2 <= 0 {
		e.state = msYielding
		m.runq = append(m.runq, mItem{kind: miResume, e: e})
		return
	}
	m.arm(e, e.d2, false)
	e.state = msParked
}

func (m *timerModel) kill(e *mEnt) (beforeStart bool) {
	switch e.state {
	case msQueued, msScheduled, msStartQueued:
		e.state, e.result = msDead, "killed"
		for _, tm := range e.timers {
			tm.armed = false
		}
		return true
	case msParked:
		e.state = msWoken
		m.runq = append(m.runq, mItem{kind: miEnd, e: e, what: "killed"})
	}
	return false
}

func (m *timerModel) pick(i int) *mEnt {
	if len(m.ents) == 0 {
		return nil
	}
	return m.ents[i%len(m.ents)]
}

// runMain runs the main greenlet's steps up to its next Sleep (or its end).
func (m *timerModel) runMain() {
	for {
		if m.pc == len(m.ops) {
			if m.finished {
				m.done = true
				return
			}
			m.finished = true
			for _, e := range m.ents {
				m.kill(e)
			}
			m.arm(nil, unit, false)
			return
		}
		op := m.ops[m.pc]
		m.pc++
		switch op.code {
		case topSpawn:
			e := &mEnt{id: len(m.ents), tk: op.tk, d1: op.d1.at(m.now), d2: op.d2.at(m.now), state: msQueued}
			m.ents = append(m.ents, e)
			m.runq = append(m.runq, mItem{kind: miStart, e: e})
		case topSpawnLater:
			e := &mEnt{id: len(m.ents), later: true, state: msScheduled}
			m.ents = append(m.ents, e)
			m.arm(e, op.d1.at(m.now), false)
		case topKill:
			if e := m.pick(op.idx); e != nil {
				m.kill(e)
			}
		case topCancelStart:
			if e := m.pick(op.idx); e != nil {
				ok := false
				switch e.state {
				case msQueued, msScheduled, msStartQueued:
					ok = m.kill(e)
				}
				m.cancelRes = append(m.cancelRes, ok)
			}
		case topCancelTimeout:
			e := m.pick(op.idx)
			if e == nil || e.later || e.tk == tkNone || (e.tk == tkWith && !e.started) {
				continue
			}
			for _, tm := range e.timers {
				if tm.timeout {
					tm.armed = false
				}
			}
			if e.tk == tkWith && e.state == msParked {
				e.state = msWoken
				m.runq = append(m.runq, mItem{kind: miEnd, e: e, what: "canceled"})
			}
		case topAdvance:
			m.arm(nil, time.Duration(op.units)*unit, false)
			return
		}
	}
}

// TestTimerModelSelfCheck pins a few of the model's predictions by hand, so
// that a model bug cannot make FuzzTimers vacuous.
func TestTimerModelSelfCheck(t *testing.T) {
	str := func(evs []timerEvent) string {
		var b strings.Builder
		for _, e := range evs {
			fmt.Fprintf(&b, "%v; ", e)
		}
		return b.String()
	}
	m := newTimerModel([]timerOp{
		{code: topSpawn, tk: tkWith, d1: 4, d2: specialBase + 2}, // e0: timeout at 2s
		{code: topSpawn, tk: tkNone, d2: 4},                      // e1: sleep until 2s
		{code: topSpawnLater, d1: 4},                             // e2: starts at 2s
		{code: topSpawn, tk: tkWith, d1: 4, d2: 4},               // e3: sleep and timeout at 2s
		{code: topSpawn, tk: tkNone, d2: specialBase + 2},        // e4: never
		{code: topAdvance, units: 3},
	})
	m.run()
	want := "e2 later @2s; e1 fired @2s; e3 fired @2s; e0 timeout @2s; e4 killed @3s; "
	if got := str(m.events); got != want {
		t.Errorf("model events = %s\nwant %s", got, want)
	}
}

// TestRunInSynctestBubble pins what FuzzTimers builds on: a hub run inside a
// testing/synctest bubble uses the bubble's fake clock, so an hour of Sleep
// takes no real time and every wake-up lands exactly on its deadline.
func TestRunInSynctestBubble(t *testing.T) {
	start := time.Now()
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		var woke []time.Duration
		geventtest.Run(t, func(ctx context.Context) error {
			for _, d := range []time.Duration{time.Hour, time.Millisecond, 3 * time.Hour} {
				if err := gevent.Sleep(ctx, d); err != nil {
					return err
				}
				woke = append(woke, time.Since(begin))
			}
			return nil
		})
		want := []time.Duration{time.Hour, time.Hour + time.Millisecond, 4*time.Hour + time.Millisecond}
		if !slices.Equal(woke, want) {
			t.Errorf("woke at %v, want %v", woke, want)
		}
	})
	if el := time.Since(start); el > time.Minute {
		t.Errorf("four hours of fake time took %v of real time", el)
	}
}
