// Package sim runs gevent code as a deterministic simulation: one hub on a
// virtual clock that jumps to the next timer whenever every greenlet waits,
// with the orders the hub leaves open chosen by a seed. The same seed replays
// the same run, step for step, on any machine, GOMAXPROCS or Go release.
//
// # Running
//
// Run runs one seed and returns main's error with a Result whose Hash folds
// every step (its kind, the greenlet's spawn sequence number, a
// kind-specific value, virtual time) into 64 bits: two runs with the same
// hash took the same steps. Test runs a test body for many seeds and
// reports the first failure as
//
//	seed 17: lost update: counter = 25 (replay: GEVENT_SIM_SEED=17)
//
// and GEVENT_SIM_SEED=17 go test -run TheTest reruns that seed alone, with
// the same error and hash. GEVENT_SIM_SEEDS=n runs seeds 1 to n;
// GEVENT_SIM_CHECK=1 (or the Check option) runs each seed twice and fails at
// the first divergent step, naming both: the body depends on something the
// seed does not choose.
//
// # Virtual time
//
// gevent.Sleep, timeouts (gevent.WithTimeout, Timeout), SpawnLater,
// gevent.AfterFunc and gevent.Now read the hub's clock, which is virtual in
// a simulation: it starts at Options.Epoch and moves only when nothing is
// runnable (then it jumps to the next timer) or by Options.StepCost per step.
// Sleep(ctx, d) returns exactly d of virtual time later; an hour of timeouts
// takes milliseconds. When no timer is left and the main greenlet waits,
// its wait ends with gevent.ErrLoopExit, as on a real hub.
//
// # Schedules
//
// FIFO (the default) keeps gevent's documented order: every run is one a
// production hub could produce, and the seed chooses only what production
// leaves open (timers due at the same instant, simultaneous network
// deliveries, StepJitter). PerSource also merges the work queued by
// different greenlets in a random order (each greenlet's own queued work
// stays in order: wake-ups of one object stay FIFO); Shuffle permutes every
// ready batch (for code that must not depend on scheduling at all).
//
// # What may enter a simulation
//
// A run is reproducible only if every input is a function of the seed, so a
// simulated hub is a closed world. What the library can see, it enforces:
//
//   - Other hubs and plain goroutines are isolated: the ErrLoopExit decision
//     ignores them (a real hub waits while another hub serves or a goroutine
//     waits in the library, which are process-global and would make the
//     decision depend on parallel tests), so a main greenlet that waits for
//     ever gets ErrLoopExit deterministically. Wake-ups that they post into
//     the simulation arrive at real-time-dependent points: not reproducible.
//   - gevent.Blocking runs its function inline on the calling greenlet (a
//     worker's completion would land in the run queue at a real-time point);
//     virtual time does not pass during it, then Options.BlockingCost does.
//     The function must not wait on the library (its context carries no
//     greenlet, so such a wait would block the hub), and a kill during it is
//     seen when it returns.
//   - Real sockets are refused: socket.Dial, Listen, ListenPacket and the
//     Wrap functions panic with "gevent/socket: real I/O in a simulation",
//     because epoll readiness and syscall timing are outside the seed.
//     Options.AllowRealIO admits them (the run is then not reproducible).
//     gevent.SignalHandler panics likewise: a signal's arrival is outside
//     the seed.
//   - A wait on a standard-library deadline context (context.WithTimeout,
//     WithDeadline) fails, and its greenlet is killed, with "gevent:
//     std-library deadline in a simulation": its timer runs in real time.
//     Use gevent.WithTimeout, whose timer is the hub's.
//   - A context that only wraps a greenlet's context with values
//     (context.WithValue, logging and tracing wrappers) is seen through: the
//     wait registers on the greenlet itself, with no goroutine and no hold,
//     so virtual time keeps moving.
//   - A standard cancel-only context (context.WithCancel) is admitted; its
//     cancellation reaches the hub through a goroutine, so the hub does not
//     wait for it (it is outside) and the run is reproducible only if it is
//     never cancelled during the run. gevent.WithCancel and WithCancelCause
//     are the library's own: their cancellation is a step of the run.
//
// What the library cannot see, it cannot enforce: time.Now, time.Sleep, std
// timers, goroutines, select, map iteration order and math/rand in the code
// under test are outside the seed. Use gevent.Now, gevent.Sleep, Rand and
// greenlets instead, and run with Check to find what slipped through. For
// code that cannot change, testing/synctest's bubble fakes time for the
// unmodified hub (see geventtest's example), without seeds or replay.
//
// # Network
//
// NewNet makes an in-memory network of hosts (10.0.0.1, 10.0.0.2, … in
// creation order) whose packets are hub timers: in a simulation their
// latency, jitter, loss, duplication and reordering are drawn from the run's
// seed and each delivery is a step of the trace. socket.Dial, Listen and
// ListenPacket called with Host.Context(ctx), or by any greenlet spawned
// from it, act as that host, so unmodified code (a server.StreamServer, a
// client library) runs on it with TCP's contract: ordered complete bytes,
// partial reads, io.EOF after the peer's close, net.ErrClosed after the
// local one, ECONNRESET after the peer's host crashes, deadlines read in
// virtual time (compute them with gevent.Now), and a receive window that
// parks writers. Partition/Repair, Hold/Release, SetLink, Host.Crash and
// Host.Restart inject faults; a partition that holds a stream past
// StreamTimeout resets it.
package sim
