// Package gevent brings Python gevent's concurrency model to Go: greenlets,
// light-weight cooperatively scheduled tasks with a typed result, an error,
// kill, join, get and link callbacks, run by a hub; with gevent's spawn
// helpers, Timeout, JoinAll, KillAll, Wait, Iwait and wait() (WaitHub), and
// eventlet/guv's greenthread API (SpawnRaw is spawn_n, SpawnLater is
// spawn_after, Cancel is cancel, Kill is kill, Link with a closure is
// link(func, *curried)). Subpackages hold events, queues, locks, pools,
// cooperative sockets, an HTTP client and servers.
//
// # The model
//
// A Hub is an event loop on one goroutine. It runs greenlets one at a time:
// each greenlet is a runtime coroutine (iter.Pull), and it gives control back
// to the hub only at a switch point, a blocking call of this module. So
// between two switch points a greenlet runs alone, and greenlets of one hub
// never race with each other: they may share data without locks.
//
// Run starts a hub on the calling goroutine with a main greenlet:
//
//	err := gevent.Run(ctx, func(ctx context.Context) error {
//		g := gevent.Spawn(ctx, work) // work returns (T, error): g.Get gives both
//		gevent.Go(ctx, job)          // job returns only an error
//		v, err := g.Get(ctx)
//		...
//	})
//
// Run must be called from a plain goroutine: called from a greenlet (or a
// hub callback) it panics, because a second loop on the first hub's
// goroutine would stop that hub until it returned. Run a second hub on a
// goroutine of its own.
//
// A greenlet's function receives a context that identifies it; every call
// that may switch takes that context first (Sleep, Yield, Join, Get, Wait,
// the Wait/Get/Put/Acquire methods of the subpackages); the socket package's
// net.Conn methods, which take no context, switch too.
//
// One iteration of the hub follows gevent's (libev's) order: it drains a
// FIFO callback queue (greenlet starts, Yield resumptions, queued wake-ups,
// link notifications, posted passes such as a Semaphore's), including callbacks queued during the drain, cutting the
// drain after the switch interval (5ms) so that I/O and timers are not
// starved; then it polls for I/O and outside wake-ups; then, if no callback,
// I/O or timer (other than a timeout) is due, it wakes the Idle waiters; then
// it fires the due
// timers in deadline order (sleeps, delayed starts, hub functions); then it
// resumes the greenlets whose I/O became ready; then it fires the due
// timeouts, which have the lowest priority, as in gevent. Spawn order is
// FIFO, and so is the order of the waiters of any one object. Timers live in
// the hub's own heap; the hub sleeps in its poller until the next one.
//
// A woken waiter resumes inside the pass that woke it, as in gevent: a
// sleeper resumes from its timer, a SpawnLater greenlet starts from its
// timer, a greenlet whose Timeout expires resumes from that timeout, the
// greenlets blocked in Join, Get, JoinAll, Wait or Iwait on a greenlet
// resume during its death notification (where its Link greenlets start too,
// in registration order), the waiters a Semaphore's release pass picks
// resume during that pass, and a greenlet whose I/O is ready resumes in the
// I/O step: each runs until it next switches before the hub moves on, so
// before anything queued after the timer, death, release or readiness. Other
// wake-ups (an Event's Set, a Queue's Put or Get, a Kill, anything from
// another goroutine or hub) queue the greenlet at the back of its hub's
// callback queue, in the order they happen.
//
// # Errors, kill and timeouts
//
// Switch points return errors; nothing is injected. Kill cancels the
// greenlet's context with a cause, ErrGreenletExit by default: from then on
// every switch point reached with that context returns the cause at once
// (level-triggered, like a cancelled context), so a killed greenlet cannot
// block again by accident; cleanup that must block uses
// context.WithoutCancel(ctx). A greenlet killed before it started never runs.
// ErrGreenletExit counts as success. WithTimeout derives a context cancelled
// with a *Timeout cause, so errors.Is(err, t) tells a timeout's own expiry
// from an outer one, which passes through inner waits unchanged; standard
// context.WithTimeout and WithCancel contexts are honoured at every switch
// point too. A panic ends the greenlet with a *PanicError (WithPanicCrash
// crashes instead); each failure is reported once to the hub's error
// handler, except the main greenlet's, which Run returns. The default
// handler logs with log/slog: the greenlet's name (its function's name when
// it has none of its own), its function, its ID, a number never reused in
// the process (uid), the error and, for a panic, the stack as one attribute
// per frame. A wait of the main greenlet that nothing can complete returns
// ErrLoopExit instead of hanging. Work that will come back from outside the
// hub (a goroutine that sets an AsyncResult later) is invisible to it: take
// Hold before starting such a goroutine, and use AfterFunc (the hub's timer)
// rather than time.AfterFunc for timed callbacks.
//
// A Timeout started by a greenlet (Timeout.Start, WithTimeout or
// WithTimeoutFunc, with the greenlet's context or one derived from it) is
// also a scope of that greenlet: until it is cancelled, its expiry ends
// whichever wait the greenlet is in, even one made with another context or
// none: the Read, Write, Accept, ReadFrom, WriteTo and Dial of the socket
// package, Blocking, the waits of the subpackages. The error satisfies
// errors.Is(err, t) (socket calls also wrap os.ErrDeadlineExceeded and are
// net.Errors whose Timeout() is true). So gevent's `with Timeout(5):
// data = sock.recv(n)` ports as
//
//	n, err := gevent.WithTimeoutFunc(ctx, 5*time.Second, func(ctx context.Context) (int, error) {
//		return conn.Read(b)
//	})
//
// The expiry is delivered once (cleanup after a caught timeout can still do
// I/O); waits made with the Timeout's own context keep failing, as with any
// cancelled context. An outer timeout passes through an inner scope
// unchanged. A hub's timeouts count from the loop's cached clock (see
// Timeout), as gevent's count from libev's loop time; Sleep reads the clock
// afresh.
//
// A duration of zero or less means no time at all, everywhere: Sleep(0) is
// Yield, WithTimeout(ctx, 0) expires at once, and a Kill bounded by it does
// not wait. A duration too long for its deadline to be represented
// (math.MaxInt64 from now) saturates: that timer never fires, and the hub's
// other timers are unaffected. nil where a value is required (a context, a
// function, a *Greenlet, an element of JoinAll, KillAll, Wait or Iwait)
// panics at the call with a message of the form "gevent: <function>: nil
// <argument>". Every panic message and error text of the module starts with
// its package's name: "gevent: " here, "gevent/<pkg>: " in a subpackage. A
// caller's bug is a panic everywhere, never an error that a defer would drop.
//
// Errors satisfy the standard sentinels: ErrGreenletExit and a killed
// greenlet's ctx.Err() satisfy errors.Is(err, context.Canceled); a *Timeout
// satisfies errors.Is(err, context.DeadlineExceeded); ctx.Err() and
// context.Cause(ctx) of a killed greenlet's context are (or wrap) the kill's
// cause.
//
// # What blocks the hub
//
// Only this module's calls switch. Anything else that blocks (time.Sleep, a
// sync.Mutex held elsewhere, a channel operation, a plain net.Conn read, a
// cgo call, a CPU-bound loop) blocks the whole hub and every greenlet on it,
// exactly as blocking code does in gevent without monkey-patching. Instead:
// use Sleep, the event, queue, lock and pool packages, the socket package
// for network I/O (socket.HTTPClient for HTTP requests: each parks only its
// greenlet), and Blocking to run any other blocking code on a worker
// goroutine while the greenlet parks (at most 64 workers a hub run at once;
// the hub option WithBlockingWorkers changes the bound).
//
// Link, LinkValue and LinkException callbacks run in new greenlets and may
// block, as gevent's links do. RawLink callbacks (gevent's rawlink), the
// OnReady callbacks of Waitables and the error handler run on the hub
// itself, between greenlets: a blocking call made there with a greenlet's
// context panics with a "gevent: blocking call inside a hub callback"
// message (gevent raises BlockingSwitchOutError); use Link, or spawn a
// greenlet, for work that must wait. A blocking call made there with a
// context that carries no greenlet (context.Background, a Hub's Context)
// panics too: the hub knows its own goroutine while it runs a callback (it
// reads the goroutine's id then, a few microseconds, only on the slow path
// of a plain goroutine about to block while some hub runs a callback).
//
// # Goroutines, hubs and contexts
//
// Every exported function and method is safe from any goroutine and from
// greenlets of any hub. A blocking call made with a context that carries no
// greenlet (context.Background, a Hub's Context, a plain goroutine's
// context) blocks the calling goroutine and honours the context, so
// g.Get(context.Background()) works from main. Spawning needs a context that
// carries a hub: a greenlet's, or Hub.Context from any goroutine.
//
// A greenlet's context must only be used for blocking calls by a greenlet of
// its hub: the call parks whichever greenlet that hub is running. Closures
// that capture an ancestor's context and run in a descendant greenlet are
// fine (the descendant parks, and the ancestor's cancellation applies). Do
// not pass a greenlet's context to another goroutine that makes this
// module's blocking calls with it; it may use the context for cancellation
// and values, or make those calls with a context without a greenlet. Such a
// misuse is caught when it can be told apart cheaply: while the hub runs a
// greenlet that does not descend from the context's greenlet, the call
// panics with a "gevent: blocking call with the context of greenlet"
// message; while the hub runs no greenlet, the call blocks the calling
// goroutine as with a context without a greenlet. While the hub runs that
// greenlet itself or one of its descendants, the call cannot be told apart
// from theirs and corrupts their wait: that case is not detected.
//
// Many hubs may run at once, each on its own goroutine; a wake-up of a
// greenlet of another hub goes through that hub's thread-safe queue.
//
// # Every core: a group of hubs
//
// One hub runs on one core at a time. A HubGroup runs one hub per core
// (RunGroup is Run over a group: main runs on hub 0), with the same greenlet
// code: a greenlet lives on one hub for its whole life and keeps every
// single-hub guarantee there, while greenlets of different hubs run in
// parallel. Where a greenlet goes is configured by the context it is
// spawned with:
//
//   - a greenlet's own context: that greenlet's hub (locality, gevent's
//     semantics);
//   - Spread(ctx) or HubGroup.Context(): the group's hubs in turn
//     (round-robin; least-loaded placement was measured and gave nothing
//     for its cost, see docs/performance.md); a greenlet placed so spawns on
//     its own hub again with its own context;
//   - HubGroup.Hub(i).Context(): hub i.
//
// Spawn order, wake-up order and the woken-waiter rules hold per hub, as
// above; greenlets of different hubs run in parallel, in no order.
//
// What spans the group: joins, kills, Wait, Iwait and JoinAll, the events,
// AsyncResults, queues and locks of the subpackages, and the pools of
// package pool (a Pool spawning with a spreading context bounds its members
// across all hubs); servers given a spreading context serve on every hub
// (see package server). What is per hub: a greenlet and the cooperative
// scheduling that lets greenlets share data without locks (HubIndex tells a
// greenlet its hub, for per-hub state), greenlet IDs, the sockets of package
// socket (used by the greenlets of the hub they were made on), the Blocking
// workers, timers, and the calls of the error handler (one per hub, so a
// handler given to a group may run on several hubs at once).
//
// # Memory model
//
// Within one hub, a greenlet's writes before a switch point are visible to
// every greenlet that runs after it: the hub runs them one after another on
// its goroutine's thread of control. Across goroutines and hubs: a greenlet's
// return synchronizes before the return of any Join, Get, Wait, Iwait or
// JoinAll that observes its end and before its link callbacks run; Spawn
// synchronizes before the new greenlet's function starts; a Kill
// synchronizes before the switch point that returns its cause. The
// primitives of the subpackages state their own guarantees.
//
// # Differences from Python gevent
//
//   - Errors are values and kill is cancellation; a killed greenlet sees the
//     kill at every later switch point, not once.
//   - Greenlets carry a typed result: Greenlet[T].
//   - Run kills and joins every greenlet still alive before it returns
//     (their deferred calls run); gevent abandons them when main exits.
//   - A link greenlet spawned while the hub stops (after Run's main
//     returned) is killed before it starts, like any greenlet spawned then;
//     use RawLink for what must run.
//   - The module-level Kill yields once after the kill, as guv's kill does,
//     when its context is a greenlet's (gevent's kill, which never switches,
//     is Kill with a context that carries no greenlet).
//   - A kill's timeout is its context's deadline, and its block=False a
//     context already done (as for http.Server.Shutdown): Greenlet.Kill,
//     KillAll and the kills of package pool wait as long as ctx allows.
//   - IDs are freed when the greenlet ends, not when it is garbage-collected.
//   - A greenlet's value is the zero value unless it succeeded (gevent's is
//     None), and Get returns the value and the error together.
//   - Alive is gevent's bool(g) and its deprecated started; there is no
//     Started method.
//   - Wait takes its objects as a slice, so gevent's wait() with no argument
//     is a function of its own, WaitHub; Wait with an empty slice returns at
//     once, as gevent's wait([]) does.
//   - A greenlet's context carries its spawner's values but not its
//     cancellation or deadline: a greenlet outlives its spawner, as in gevent.
//     Its context is cancelled (ErrGreenletDone) when its function returns.
//   - Primitives are safe across goroutines and hubs (gevent's are hub-local).
//   - A program may use every core (HubGroup, RunGroup), one hub per core;
//     gevent runs on one.
//   - ErrLoopExit is declared only when no other hub is serving (an idle
//     hub of the main greenlet's own HubGroup does not count), no hub that
//     is not served yet has greenlets somebody waits on, no Hold is taken and
//     no plain goroutine waits on the library, since any of them could wake
//     the hub. A hub created and never served holds nothing: it is collected
//     once unreferenced, whatever it was given to run.
//   - There is no monkey-patching (Go cannot replace the standard library's
//     blocking calls), no fork/reinit (Go programs do not fork), and no
//     greenlet-local storage (use context values).
//   - runtime.Goexit in a greenlet (t.FailNow does it) ends the greenlet and
//     then the hub's goroutine, as it would end any goroutine calling it.
//     When the greenlet was resumed by another that had just parked (the
//     hub hands its queue to a parking greenlet, to save a switch), that
//     one ends too, with the same error, on the way (its deferred calls run
//     then, and must not switch: the hub is ending). (The hand-over is
//     otherwise invisible: the same greenlets run in the same order; only
//     goroutine dumps and CPU profiles show the hub's bookkeeping between
//     two greenlets on the parked one's goroutine.)
package gevent
