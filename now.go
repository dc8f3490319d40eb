package gevent

import (
	"context"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// Now returns the current time of ctx's hub clock as wall time: time.Now()
// on a real hub (and for a context without a hub), the simulation's virtual
// wall time (its epoch plus the virtual time elapsed) on a simulated one.
// Use it instead of time.Now() for deadlines (SetDeadline) and timestamps in
// code that should also run in a simulation (package sim).
func Now(ctx context.Context) time.Time {
	if ctx == nil {
		panic("gevent: Now: nil ctx")
	}
	if h := core.HubOf(ctx); h != nil {
		return h.WallNow()
	}
	return time.Now()
}

// runSimulated is Run for package sim: main as the first greenlet of a new
// simulated hub, served on the calling goroutine. It reports the
// simulation's state with main's error once the hub has closed.
func runSimulated(ctx context.Context, o core.SimOptions, main func(ctx context.Context) error) (*core.Sim, error) {
	refuseNested("sim.Run")
	h := newHub(ctx, []HubOption{{func(c *core.Options) { c.Sim = &o }}})
	g := Go(h.Context(), main, WithName("main"))
	h.h.Serve(ctx, g.g())
	return h.h.Sim(), g.g().Result()
}

func init() { core.RunSimulated = runSimulated }
