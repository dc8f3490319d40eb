// Package debug shows what the greenlets of a process are doing: a dump of
// every hub's greenlet tree, with what each greenlet waits on and for how
// long, as text for people and JSON for tools, and an HTTP handler that
// serves it in the manner of net/http/pprof.
//
// A dump is taken on each hub's own goroutine, between two of its tasks, so
// it is consistent: nothing of that hub runs meanwhile. It copies plain data
// only (the hub pauses for the copy) and is rendered on the caller's
// goroutine. A hub that does not take the dump within the timeout (a
// greenlet that never switches holds it, or it is not served yet) is
// reported as not responding instead of delaying the others.
//
//	snap := debug.Capture(ctx)  // every hub of the process
//	snap.WriteText(os.Stderr)   // one greenlet a line, indented by parent
//
// (or debug.WriteText(ctx, os.Stderr), which captures into pooled memory,
// writes at once and allocates almost nothing).
//
// The tree is by parent: a greenlet spawned from another's context is its
// child; one whose parent has ended is a root. Each parked greenlet shows
// the kind of its wait ("event", "queue.get", "join", "sleep", "lock",
// "io.read", "blocking", ...), the object with its state as the object's
// package describes it ("event.Event(clear, 3 waiting)",
// "lock.Reentrant(owner worker #4, 0 free, 1 waiting)"), how long it has
// waited (on the hub's loop clock: about a millisecond's resolution) and,
// when known, the greenlets that alone can end the wait (a join's target, a
// lock's owner). Spawn sites and stacks are shown for hubs made with
// gevent.WithSpawnStacks.
//
// The JSON form (WriteJSON) encodes the exported types of this package
// (Snapshot, Hub, Greenlet, Wait, Frame) with the field names of their json
// tags: a tool decodes it with encoding/json into a Snapshot. The schema is
// stable: fields may be added, none renamed or removed.
//
// Nothing is registered on import: serve Handler where you want it,
//
//	mux.Handle("/debug/gevent/", debug.Handler())
//
// The wait records behind a dump cost nothing measurable: a park stores the
// kind, the object and the loop's cached clock into its greenlet's wait
// block, and the describers run only while a dump is taken. When a hub
// finds that nothing can ever wake its waits (gevent.ErrLoopExit), the error
// it returns carries the same information as a wait graph: who waits on
// what, who holds what, and the cycle or the object nobody can signal.
//
// A hub held by a greenlet that never switches is named in the dump (the
// greenlet and the function it is in); the events of the hubs' stall
// monitors (gevent.WithStallMonitor) are served by the handler's stalls
// page and RecentStalls; AssertSwitches fails a test whose code holds its
// hub too long.
package debug
