package sim

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// The in-simulation helpers. ctx must come from a greenlet of the hub (or
// its Context); outside a simulation they fall back to real behaviour, so
// application code can call them unconditionally.

func simOf(ctx context.Context) *core.Sim {
	if ctx == nil {
		panic("gevent/sim: nil ctx")
	}
	if h := core.HubOf(ctx); h != nil {
		return h.Sim()
	}
	return nil
}

// Enabled reports whether ctx belongs to a simulated hub.
func Enabled(ctx context.Context) bool { return simOf(ctx) != nil }

// Rand returns the run's seeded random source (a stream of its own: drawing
// from it does not change the schedule's choices). It is the hub's: use it
// from the hub's greenlets only. Outside a simulation it returns a new
// randomly seeded source.
func Rand(ctx context.Context) *rand.Rand {
	if s := simOf(ctx); s != nil {
		return s.Rand()
	}
	return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
}

// Record folds application events into the run's trace hash (a StepUser
// step whose value is the FNV-1a hash of fmt.Sprint(v...)), so that a run
// whose outcome differs has a different hash. Outside a simulation it does
// nothing.
func Record(ctx context.Context, v ...any) {
	s := simOf(ctx)
	if s == nil {
		return
	}
	f := fnv.New64a()
	fmt.Fprint(f, v...)
	s.Record(core.StepUser, core.Current(ctx), f.Sum64())
}

// Buggify is FoundationDB's fault point: true with probability p, chosen by
// the seed, in a simulation; always false outside one. Use it to make rare
// paths (a retry, a short read, a slow reply) common under test.
func Buggify(ctx context.Context, p float64) bool {
	s := simOf(ctx)
	if s == nil || p <= 0 {
		return false
	}
	return s.Rand().Float64() < p
}

// Elapsed returns the virtual time since the run started; 0 outside a
// simulation.
func Elapsed(ctx context.Context) time.Duration {
	if s := simOf(ctx); s != nil {
		return s.Elapsed()
	}
	return 0
}
