package sim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/core"
)

// Schedule says how much of the ready order a seed may change.
type Schedule uint8

const (
	// FIFO keeps gevent's order: spawn and wake-up order, Yield to the
	// back of the queue. The seed chooses only what gevent leaves open: the
	// order of timers due at the same instant, of simultaneous network
	// deliveries, and the StepJitter. Every run is one a production hub
	// could produce.
	FIFO Schedule = iota
	// PerSource also permutes each ready batch, keeping the relative order
	// of the tasks queued by any one greenlet (or by the hub's timers, I/O
	// and callbacks): per-object wake order and per-spawner start order
	// hold; order across greenlets does not (as between greenlets of two
	// hubs).
	PerSource
	// Shuffle permutes each ready batch freely (Trio's scheduler), for code
	// that must not depend on scheduling order at all.
	Shuffle
)

// String names the schedule.
func (s Schedule) String() string {
	switch s {
	case FIFO:
		return "FIFO"
	case PerSource:
		return "PerSource"
	case Shuffle:
		return "Shuffle"
	}
	return fmt.Sprintf("Schedule(%d)", uint8(s))
}

// Options configure one simulated run. The zero value is a FIFO run of seed
// 0 with the defaults below.
type Options struct {
	// Seed chooses every order the schedule leaves open.
	Seed     uint64
	Schedule Schedule
	// StepCost is the virtual time charged for each task the hub runs, plus
	// a seeded jitter in [0, StepJitter): computation then takes time, so
	// timers interleave with it differently per seed. Zero: computation is
	// instantaneous (time moves only when every greenlet waits). Negative:
	// Run panics (the clock would go backwards).
	StepCost, StepJitter time.Duration
	// Epoch is the virtual wall time at the start (gevent.Now); default
	// 2000-01-01 00:00 UTC, as testing/synctest.
	Epoch time.Time
	// MaxTime and MaxSteps end a run that would never finish: the main
	// greenlet is killed with ErrTimeLimit or ErrStepLimit, which Run
	// returns. Defaults: 24 h of virtual time, 100M steps; negative: no
	// limit.
	MaxTime  time.Duration
	MaxSteps int64
	// BlockingCost is the virtual time each gevent.Blocking call takes (in
	// a simulation its function runs inline on the calling greenlet).
	BlockingCost time.Duration
	// AllowRealIO admits real sockets, real signals (gevent.SignalHandler)
	// and std-library deadlines: the run is then not reproducible.
	AllowRealIO bool
	// Trace receives every step, on the hub (for diffs between runs).
	Trace func(Step)
}

// Errors a run that would not finish ends with.
var (
	// ErrTimeLimit: the next timer lies beyond Options.MaxTime.
	ErrTimeLimit = core.ErrTimeLimit
	// ErrStepLimit: the run took more than Options.MaxSteps steps.
	ErrStepLimit = core.ErrStepLimit
)

// Result describes a finished run.
type Result struct {
	Seed     uint64
	Schedule Schedule
	// Hash is the FNV-1a hash of every step: equal hashes, equal runs.
	Hash  uint64
	Steps uint64
	// Elapsed is the virtual time the run took; Wall the real time.
	Elapsed time.Duration
	Wall    time.Duration
}

// String is a one-line summary.
func (r Result) String() string {
	return fmt.Sprintf("seed %d (%v): hash %016x, %d steps, %v virtual, %v wall",
		r.Seed, r.Schedule, r.Hash, r.Steps, r.Elapsed, r.Wall)
}

// StepKind says what a step did.
type StepKind uint8

// The step kinds.
const (
	StepRun     = StepKind(core.StepRun)     // a greenlet started or resumed
	StepNotify  = StepKind(core.StepNotify)  // a greenlet's links ran
	StepFunc    = StepKind(core.StepFunc)    // a function posted to the hub ran
	StepTimer   = StepKind(core.StepTimer)   // a timer fired
	StepJump    = StepKind(core.StepJump)    // virtual time jumped to the next timer
	StepDeliver = StepKind(core.StepDeliver) // the simulated network delivered something
	StepUser    = StepKind(core.StepUser)    // Record
)

// String names the kind.
func (k StepKind) String() string {
	switch k {
	case StepRun:
		return "run"
	case StepNotify:
		return "notify"
	case StepFunc:
		return "func"
	case StepTimer:
		return "timer"
	case StepJump:
		return "jump"
	case StepDeliver:
		return "deliver"
	case StepUser:
		return "user"
	}
	return fmt.Sprintf("StepKind(%d)", uint8(k))
}

// Step is one scheduling step.
type Step struct {
	N    uint64        // 1, 2, ...
	Now  time.Duration // virtual time since the start
	Kind StepKind
	// G is the spawn sequence number of the greenlet involved (main is 1;
	// 0: none, the hub itself).
	G uint64
	// Val is kind-specific: the source of a run (PerSource), the timer's
	// kind, a Record's value hash.
	Val uint64
}

// String formats the step for divergence reports.
func (s Step) String() string {
	return fmt.Sprintf("#%d %v %v g%d val=%#x", s.N, s.Now, s.Kind, s.G, s.Val)
}

// defaultEpoch is the virtual wall time a run starts at (testing/synctest's).
var defaultEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Run runs main as the main greenlet of a simulated hub on the calling
// goroutine and returns main's error with the run's Result. Cancelling ctx
// kills main with ctx's cause (an outside input: only for ending a run that
// hangs in real time); with ctx already ended, main does not run and Run
// returns the cause. Run must be called from a plain goroutine, like
// gevent.Run.
func Run(ctx context.Context, opts Options, main func(ctx context.Context) error) (Result, error) {
	if ctx == nil {
		panic("gevent/sim: Run: nil ctx")
	}
	if main == nil {
		panic("gevent/sim: Run: nil main")
	}
	if opts.Schedule > Shuffle {
		panic("gevent/sim: Run: unknown " + opts.Schedule.String())
	}
	// A negative step cost would move the virtual clock backwards.
	if opts.StepCost < 0 || opts.StepJitter < 0 {
		panic(fmt.Sprintf("gevent/sim: Run: negative StepCost (%v) or StepJitter (%v)", opts.StepCost, opts.StepJitter))
	}
	o := core.SimOptions{
		Seed:         opts.Seed,
		Schedule:     core.Schedule(opts.Schedule),
		Virtual:      true,
		StepCost:     opts.StepCost,
		StepJitter:   opts.StepJitter,
		Epoch:        opts.Epoch,
		MaxTime:      opts.MaxTime,
		BlockingCost: opts.BlockingCost,
		AllowRealIO:  opts.AllowRealIO,
	}
	if o.Epoch.IsZero() {
		o.Epoch = defaultEpoch
	}
	switch {
	case o.MaxTime == 0:
		o.MaxTime = 24 * time.Hour
	case o.MaxTime < 0:
		o.MaxTime = 0
	}
	switch {
	case opts.MaxSteps == 0:
		o.MaxSteps = 100_000_000
	case opts.MaxSteps > 0:
		o.MaxSteps = uint64(opts.MaxSteps)
	}
	if tr := opts.Trace; tr != nil {
		o.Trace = func(s core.SimStep) {
			tr(Step{N: s.N, Now: time.Duration(s.Now), Kind: StepKind(s.Kind), G: s.G, Val: s.Val})
		}
	}
	_ = gevent.Now // the root package registers core.RunSimulated
	if ctx.Err() != nil {
		// Killed before it started: main never runs. (Left to the run,
		// the cancellation would reach the hub through a goroutine at a
		// real-time point, and a run that never waits for it could end
		// first, with main's own result.)
		return Result{Seed: opts.Seed, Schedule: opts.Schedule}, context.Cause(ctx)
	}
	start := time.Now()
	s, err := core.RunSimulated(ctx, o, main)
	r := Result{
		Seed:     opts.Seed,
		Schedule: opts.Schedule,
		Hash:     s.Hash(),
		Steps:    s.Steps(),
		Elapsed:  s.Elapsed(),
		Wall:     time.Since(start),
	}
	if lim := s.Limit(); lim != nil && !errors.Is(err, lim) {
		if err == nil {
			err = lim
		} else {
			err = fmt.Errorf("%w (%w)", lim, err)
		}
	}
	return r, err
}
