package socket

import (
	"context"

	"github.com/gevent-go/gevent/internal/core"
)

// refuseRealIO panics when ctx belongs to a simulation (package sim) that
// does not admit real I/O: epoll readiness and syscall timing are outside
// the seed, so a run with real sockets could not be replayed. v is the value
// a Wrap function was given: a connection that reports itself simulated
// (a Simulated() bool method returning true) is admitted.
func refuseRealIO(ctx context.Context, what string, v any) {
	if ctx == nil || !core.RefusesRealIO(ctx) {
		return
	}
	if cooperative(v) {
		return
	}
	panic("gevent/socket: real I/O in a simulation (" + what + "): the kernel's timing is outside the seed; " +
		"use the simulated network, or sim.Options.AllowRealIO (the run is then not reproducible)")
}
