package gevent

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// Greenlet is a cooperatively scheduled task with a typed result: gevent's
// Greenlet. Create one with Spawn, Go, SpawnLater, New or NewGo. All its
// methods are safe to call from any goroutine and any hub.
//
// A greenlet runs its function with a context that identifies it: blocking
// calls of this module made with that context park the greenlet and let the
// hub run others. The context is cancelled, with the kill's cause, when the
// greenlet is killed, and with ErrGreenletDone when the function returns.
//
// The function's return "synchronizes before" the return of any Join, Get or
// Wait that observes the greenlet's end, and before its link callbacks run.
//
// Cost: about 0.5 to 1 µs from Spawn or Go to the greenlet's end and its
// share of a JoinAll, with one allocation of about 400 bytes; the coroutine
// that runs it is reused from the hub's pool. That is about what a
// goroutine with a sync.WaitGroup costs, and over 20 times less than a
// gevent greenlet (GOMAXPROCS=1; the spawn_join row of docs/benchmarks.md
// in the repository has each run's figures).
type Greenlet[T any] struct {
	// handle holds the core (see g); embedded, so that the module's other
	// packages reach it through core.TaskG without a hook, while nothing of
	// it shows in go doc.
	handle
	value T // written by the greenlet before it becomes dead
	// fn comes last: a zero-size last field (value of a Greenlet[struct{}])
	// would be padded, putting Go's greenlet in a larger size class.
	fn func(context.Context) (T, error)
}

// Runner is a value that can be a greenlet's body: gevent's way of
// subclassing Greenlet and overriding _run. See SpawnRunner.
type Runner[T any] interface {
	// Run is the greenlet's body, with the greenlet's context.
	Run(ctx context.Context) (T, error)
}

// taskOf returns the typed handle of a core greenlet, or nil for SpawnRaw's.
func taskOf(g *core.G) Task {
	if g == nil {
		return nil
	}
	if r, ok := g.Body().(interface{ task() Task }); ok {
		return r.task()
	}
	return nil
}

// nilGreenlet is the panic of a method called on a nil *Greenlet or on a
// zero Greenlet (one Spawn or New did not make: it has no hub), outlined so
// that each method's check stays two comparisons.
func nilGreenlet(method string, isNil bool) {
	if isNil {
		panic("gevent: Greenlet." + method + ": nil *Greenlet")
	}
	panic("gevent: Greenlet." + method + ": zero Greenlet; create one with Spawn, New or Go")
}

// Start schedules a greenlet made by New, like Spawn. Calling it again, or on
// a greenlet that was killed, does nothing (as in gevent).
func (gl *Greenlet[T]) Start() {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Start", gl == nil)
	}
	if gl.g().State() != core.StateNew {
		return
	}
	runSpawnCallbacks(gl)
	gl.g().Start()
}

// StartLater schedules a greenlet made by New to start after d.
func (gl *Greenlet[T]) StartLater(d time.Duration) {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("StartLater", gl == nil)
	}
	if gl.g().State() != core.StateNew {
		return
	}
	runSpawnCallbacks(gl)
	gl.g().StartLater(int64(max(d, 0)))
}

// Value returns the function's result once the greenlet has ended
// successfully (gevent's value), and the zero value otherwise: before the
// end, after a failure (an error, a panic, a kill with KillError), and after
// a kill before it started. A function that ends with ErrGreenletExit (a
// default kill) succeeds with whatever value it returned.
func (gl *Greenlet[T]) Value() T {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Value", gl == nil)
	}
	var zero T
	if !gl.g().Dead() {
		return zero
	}
	return gl.value
}

// Err returns the error the greenlet ended with: nil on success, the kill
// cause when it was killed (ErrGreenletExit by default, which still counts as
// success), a *PanicError when it panicked. Nil while it runs.
func (gl *Greenlet[T]) Err() error {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Err", gl == nil)
	}
	return gl.g().Result()
}

// Ready reports whether the greenlet has ended (gevent's ready()).
func (gl *Greenlet[T]) Ready() bool {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Ready", gl == nil)
	}
	return gl.g().Dead()
}

// Dead reports whether the greenlet has ended or was killed before it
// started. The running greenlet is never dead.
func (gl *Greenlet[T]) Dead() bool {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Dead", gl == nil)
	}
	return gl.g().Dead()
}

// Successful reports whether the greenlet ended without error or with
// ErrGreenletExit.
func (gl *Greenlet[T]) Successful() bool {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Successful", gl == nil)
	}
	if !gl.g().Dead() {
		return false
	}
	err := gl.g().Result()
	return err == nil || core.IsExit(err)
}

// Alive reports whether the greenlet has been started (or scheduled to
// start) and has not ended: gevent's bool(g), and its deprecated started.
// It is false before Start, after the end, and after a kill before the start.
func (gl *Greenlet[T]) Alive() bool {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Alive", gl == nil)
	}
	s := gl.g().State()
	return s == core.StateScheduled || s == core.StateRunning
}

// Join waits until the greenlet has ended. When ctx is cancelled first it
// returns ctx's cause and leaves the greenlet running.
func (gl *Greenlet[T]) Join(ctx context.Context) error {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Join", gl == nil)
	}
	if ctx == nil {
		panic("gevent: Greenlet.Join: nil ctx")
	}
	return gl.g().Join(ctx)
}

// Get waits until the greenlet has ended and returns Value and Err: the
// function's value and a nil error on success, the zero value and the error
// after a failure, the function's value and ErrGreenletExit after a default
// kill. When ctx is cancelled first it returns the zero value and ctx's
// cause; the result of a greenlet that has ended is returned even when ctx
// is already cancelled (a call that need not wait does not look at ctx).
func (gl *Greenlet[T]) Get(ctx context.Context) (T, error) {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Get", gl == nil)
	}
	if ctx == nil {
		panic("gevent: Greenlet.Get: nil ctx")
	}
	if err := gl.g().Join(ctx); err != nil {
		var zero T
		return zero, err
	}
	return gl.value, gl.g().Result()
}

// TryGet returns Value and ok true if the greenlet has ended, and the zero
// value and ok false without blocking otherwise (gevent's get(block=False));
// Err returns the error it ended with.
func (gl *Greenlet[T]) TryGet() (value T, ok bool) {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("TryGet", gl == nil)
	}
	if !gl.g().Dead() {
		return value, false
	}
	return gl.value, true
}

// Kill cancels the greenlet's context with ErrGreenletExit (or KillError's
// error): its current and every later switch point returns that cause. A
// greenlet that has not started never runs; it is dead at once and its links
// fire later from the hub. Kill then waits until the greenlet has ended, for
// as long as ctx allows, and never returns an error of its own (gevent's
// kill). To bound the wait, give a ctx with a deadline
// (gevent.WithTimeout); with a ctx that is already done Kill does not wait,
// as http.Server.Shutdown does not; to kill without waiting, use the
// package-level Kill. A greenlet killing itself does not wait.
func (gl *Greenlet[T]) Kill(ctx context.Context, opts ...KillOption) {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Kill", gl == nil)
	}
	if ctx == nil {
		panic("gevent: Greenlet.Kill: nil ctx")
	}
	c := killOptions(opts)
	gl.g().Kill(c.err)
	if gl.g().Dead() || core.Current(ctx) == gl.g() {
		return
	}
	_ = gl.g().Join(ctx)
}

// Cancel kills the greenlet only if it has not started running, and reports
// whether it did (guv's cancel). It never blocks.
func (gl *Greenlet[T]) Cancel() bool {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Cancel", gl == nil)
	}
	return gl.g().CancelStart(ErrGreenletExit)
}

// Link arranges for fn to run in a new greenlet of the greenlet's hub once
// the greenlet has ended (gevent's link): fn may block, and gets that new
// greenlet's context (it carries the ended greenlet's context values). Links
// of all kinds (Link, LinkValue, LinkException, RawLink) share one list and
// are handled once each, in registration order, by a notification the hub
// runs after the end: a RawLink callback runs right there, and a Link
// greenlet starts right there and runs until it first switches, before the
// notification moves on to the next link (gevent's order). Linking a greenlet
// that has already ended still fires. unlink removes the link and reports
// whether it was still pending (false once its greenlet was spawned).
//
// Like every greenlet spawned while its hub stops (Run's main has returned,
// or Hub.Stop was called), a link greenlet spawned then is killed before it
// starts, so fn does not run; use RawLink for what must run. A panic in fn
// is reported to the hub's error handler, like any greenlet's.
func (gl *Greenlet[T]) Link(fn func(ctx context.Context, g *Greenlet[T])) (unlink func() bool) {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Link", gl == nil)
	}
	if fn == nil {
		panic("gevent: Greenlet.Link: nil fn")
	}
	return gl.link(func() { gl.spawnLink(fn) })
}

// LinkValue is Link for a successful ending only (ErrGreenletExit counts).
func (gl *Greenlet[T]) LinkValue(fn func(ctx context.Context, g *Greenlet[T])) (unlink func() bool) {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("LinkValue", gl == nil)
	}
	if fn == nil {
		panic("gevent: Greenlet.LinkValue: nil fn")
	}
	return gl.link(func() {
		if gl.Successful() {
			gl.spawnLink(fn)
		}
	})
}

// LinkException is Link for a failed ending only.
func (gl *Greenlet[T]) LinkException(fn func(ctx context.Context, g *Greenlet[T])) (unlink func() bool) {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("LinkException", gl == nil)
	}
	if fn == nil {
		panic("gevent: Greenlet.LinkException: nil fn")
	}
	return gl.link(func() {
		if !gl.Successful() {
			gl.spawnLink(fn)
		}
	})
}

// RawLink arranges for fn to be called with the greenlet once it has ended,
// directly on its hub, between greenlets (gevent's rawlink): the cheapest
// link, for work that does not wait (setting a result, counting, waking
// someone). fn must not block: a blocking call made there with a greenlet's
// context panics. It shares Link's list and order; a panic in fn is reported
// and the remaining links still run. unlink removes the link and reports
// whether it was still pending.
func (gl *Greenlet[T]) RawLink(fn func(g *Greenlet[T])) (unlink func() bool) {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("RawLink", gl == nil)
	}
	if fn == nil {
		panic("gevent: Greenlet.RawLink: nil fn")
	}
	return gl.link(func() { fn(gl) })
}

func (gl *Greenlet[T]) link(f func()) func() bool {
	l := &core.Link{Fn: f}
	gl.g().AddLink(l)
	return func() bool { return gl.g().RemoveLink(l) }
}

// spawnLink starts fn's greenlet; it runs in the link notification, on the
// hub.
func (gl *Greenlet[T]) spawnLink(fn func(context.Context, *Greenlet[T])) {
	lg := &linkGreenlet[T]{gl: gl, fn: fn}
	lg.g.Init(gl.g().Hub(), gl.g(), lg)
	lg.g.StartFrom(gl.g().Hub())
}

// linkGreenlet is the handle-less greenlet that runs one Link callback.
type linkGreenlet[T any] struct {
	g  core.G
	gl *Greenlet[T]
	fn func(context.Context, *Greenlet[T])
}

func (l *linkGreenlet[T]) RunBody(g *core.G) error {
	l.fn(g, l.gl)
	return nil
}

func (l *linkGreenlet[T]) BodyFunc() any { return l.fn }

// OnReady implements Waitable: f is called once, on the greenlet's hub, after
// the greenlet has ended. f must not block.
func (gl *Greenlet[T]) OnReady(f func()) (remove func() bool) {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("OnReady", gl == nil)
	}
	if f == nil {
		panic("gevent: Greenlet.OnReady: nil f")
	}
	return gl.link(f)
}

// Name returns the greenlet's name: the one given with WithName, or
// "Greenlet-<ID>".
func (gl *Greenlet[T]) Name() string {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Name", gl == nil)
	}
	return gl.g().Name()
}

// ID returns a small integer identifying the greenlet among the live
// greenlets of its hub (gevent's minimal_ident). It is assigned on first use,
// as the smallest one free, and freed when the greenlet ends (gevent frees it
// when the object is garbage-collected), so a later greenlet may reuse the
// ID of an ended one. A greenlet keeps the ID it was given; one first asked
// for after the end is the smallest free at that moment.
func (gl *Greenlet[T]) ID() int {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("ID", gl == nil)
	}
	return gl.g().ID()
}

// String describes the greenlet: name, id and state.
func (gl *Greenlet[T]) String() string {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("String", gl == nil)
	}
	return fmt.Sprintf("<Greenlet %q id=%d %s>", gl.g().Name(), gl.g().ID(), gl.state())
}

func (gl *Greenlet[T]) state() string {
	s := gl.g().State()
	if s != core.StateDead {
		return s.String()
	}
	if gl.Successful() {
		return "dead: succeeded"
	}
	return "dead: failed: " + gl.g().Result().Error()
}

// Parent returns the greenlet that spawned this one, or nil when it was
// spawned from outside any greenlet (or by SpawnRaw).
func (gl *Greenlet[T]) Parent() Task {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("Parent", gl == nil)
	}
	return taskOf(gl.g().Parent)
}

// SpawnStack returns where the greenlet was spawned, starting at the caller
// of the spawn function, when recorded (WithSpawnStack, or WithSpawnStacks on
// the hub); nil otherwise.
func (gl *Greenlet[T]) SpawnStack() []runtime.Frame {
	if gl == nil || gl.g().Hub() == nil {
		nilGreenlet("SpawnStack", gl == nil)
	}
	return spawnFrames(gl.g().Stack())
}

// libraryFrame reports whether fn is a function of this package or of
// internal/core: the spawn machinery above the user's call.
func libraryFrame(fn string) bool {
	const root, internal = "github.com/gevent-go/gevent.", "github.com/gevent-go/gevent/internal/"
	return strings.HasPrefix(fn, root) || strings.HasPrefix(fn, internal)
}

// core returns the greenlet's core; nil for a nil *Greenlet, which is how
// JoinAll, KillAll, Wait and Iwait find nil elements.
func (gl *Greenlet[T]) core() *core.G {
	if gl == nil {
		return nil
	}
	return gl.g()
}

// handle is the embedded holder of a Greenlet's core (core.Handle): its
// name is unexported, and so is its only method.
type handle = core.Handle

// g returns the greenlet's core.
func (gl *Greenlet[T]) g() *core.G { return core.HandleG(&gl.handle) }
