package gevent

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// Greenlet is a cooperatively scheduled task with a typed result: gevent's
// Greenlet. Create one with Spawn, SpawnLater or New. All its methods are
// safe to call from any goroutine and any hub.
//
// A greenlet runs its function with a context that identifies it: blocking
// calls of this module made with that context park the greenlet and let the
// hub run others. The context is cancelled, with the kill's cause, when the
// greenlet is killed, and with ErrGreenletDone when the function returns.
//
// The function's return "synchronizes before" the return of any Join, Get or
// Wait that observes the greenlet's end, and before its link callbacks run.
type Greenlet[T any] struct {
	g     core.G
	fn    func(context.Context) (T, error)
	value T // written by the greenlet before it becomes dead
}

// Runner is a value that can be a greenlet's body: gevent's way of
// subclassing Greenlet and overriding _run. See SpawnRunner.
type Runner[T any] interface {
	Run(ctx context.Context) (T, error)
}

// SpawnOption configures a greenlet.
type SpawnOption func(*spawnConfig)

type spawnConfig struct {
	name  string
	stack bool
}

// WithName names the greenlet (default "Greenlet-<ID>").
func WithName(name string) SpawnOption { return func(c *spawnConfig) { c.name = name } }

// WithSpawnStack records where the greenlet was spawned (see SpawnStack).
func WithSpawnStack() SpawnOption { return func(c *spawnConfig) { c.stack = true } }

// Spawn creates a greenlet running fn on ctx's hub and schedules it: it first
// runs the next time the hub drains its callback queue, after everything
// queued before it (if the caller is a greenlet of that hub, after the caller
// next switches). ctx must come from a greenlet, a Hub's Context or Run;
// Spawn may be called from any goroutine. The new greenlet's context carries
// ctx's values but not its cancellation: like gevent's, a greenlet outlives
// its spawner.
func Spawn[T any](ctx context.Context, fn func(context.Context) (T, error), opts ...SpawnOption) *Greenlet[T] {
	gl := New(ctx, fn, opts...)
	gl.Start()
	return gl
}

// SpawnRunner is Spawn with r.Run as the body; a Runner that is a
// fmt.Stringer names the greenlet.
func SpawnRunner[T any](ctx context.Context, r Runner[T], opts ...SpawnOption) *Greenlet[T] {
	if r == nil {
		panic("gevent: SpawnRunner with a nil Runner")
	}
	if s, ok := r.(fmt.Stringer); ok {
		opts = append([]SpawnOption{WithName(s.String())}, opts...)
	}
	return Spawn(ctx, r.Run, opts...)
}

// SpawnLater is Spawn with a delay: the greenlet starts no earlier than d
// from now (guv's spawn_after). Negative d counts as zero.
func SpawnLater[T any](ctx context.Context, d time.Duration, fn func(context.Context) (T, error), opts ...SpawnOption) *Greenlet[T] {
	gl := New(ctx, fn, opts...)
	gl.StartLater(d)
	return gl
}

// SpawnRaw runs fn in a new greenlet without a handle (gevent's spawn_raw,
// guv's spawn_n): no result, no links, no spawn callbacks; the cheapest way to
// start work. A panic is reported to the hub's error handler.
func SpawnRaw(ctx context.Context, fn func(context.Context)) {
	if fn == nil {
		panic("gevent: SpawnRaw with a nil function")
	}
	h := hubOf(ctx, "SpawnRaw")
	g := &rawGreenlet{fn: fn}
	g.g.Init(h, ctx, g)
	g.g.Start()
}

type rawGreenlet struct {
	g  core.G
	fn func(context.Context)
}

func (r *rawGreenlet) RunBody(g *core.G) error {
	r.fn(g)
	return nil
}

// New creates a greenlet that does not run until Start or StartLater.
func New[T any](ctx context.Context, fn func(context.Context) (T, error), opts ...SpawnOption) *Greenlet[T] {
	if fn == nil {
		panic("gevent: Spawn with a nil function")
	}
	h := hubOf(ctx, "Spawn")
	gl := &Greenlet[T]{fn: fn}
	gl.g.Init(h, ctx, (*runner[T])(gl))
	if len(opts) > 0 {
		var c spawnConfig
		for _, o := range opts {
			o(&c)
		}
		if c.name != "" {
			gl.g.SetName(c.name)
		}
		if c.stack && gl.g.Stack() == nil {
			gl.g.SetStack(callers())
		}
	}
	return gl
}

func callers() []uintptr {
	var pcs [32]uintptr
	n := runtime.Callers(4, pcs[:])
	return append([]uintptr(nil), pcs[:n]...)
}

func hubOf(ctx context.Context, what string) *core.Hub {
	h := core.HubOf(ctx)
	if h == nil {
		panic("gevent: " + what + " needs a context from a greenlet, Run or Hub.Context; this one carries no hub")
	}
	return h
}

func init() {
	core.SetTaskCore(func(v any) *core.G {
		if t, ok := v.(Task); ok {
			return t.core()
		}
		return nil
	})
}

// runner is the Greenlet as the hub sees it: a core.Runner. The conversion
// keeps RunBody out of Greenlet's method set.
type runner[T any] Greenlet[T]

func (r *runner[T]) RunBody(g *core.G) error {
	v, err := r.fn(g)
	r.value = v
	return err
}

func (r *runner[T]) task() Task { return (*Greenlet[T])(r) }

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

// Start schedules a greenlet made by New, like Spawn. Calling it again, or on
// a greenlet that was killed, does nothing (as in gevent).
func (gl *Greenlet[T]) Start() {
	if gl.g.State() != core.StateNew {
		return
	}
	runSpawnCallbacks(gl)
	gl.g.Start()
}

// StartLater schedules a greenlet made by New to start after d.
func (gl *Greenlet[T]) StartLater(d time.Duration) {
	if gl.g.State() != core.StateNew {
		return
	}
	runSpawnCallbacks(gl)
	gl.g.StartLater(int64(max(d, 0)))
}

// Value returns the function's result once the greenlet has ended, and the
// zero value before that or when it failed.
func (gl *Greenlet[T]) Value() T {
	var zero T
	if !gl.g.Dead() {
		return zero
	}
	return gl.value
}

// Err returns the error the greenlet ended with: nil on success, the kill
// cause when it was killed (ErrGreenletExit by default, which still counts as
// success), a *PanicError when it panicked. Nil while it runs.
func (gl *Greenlet[T]) Err() error { return gl.g.Result() }

// Ready reports whether the greenlet has ended (gevent's ready()).
func (gl *Greenlet[T]) Ready() bool { return gl.g.Dead() }

// Dead reports whether the greenlet has ended or was killed before it
// started. The running greenlet is never dead.
func (gl *Greenlet[T]) Dead() bool { return gl.g.Dead() }

// Successful reports whether the greenlet ended without error or with
// ErrGreenletExit.
func (gl *Greenlet[T]) Successful() bool {
	if !gl.g.Dead() {
		return false
	}
	err := gl.g.Result()
	return err == nil || core.IsExit(err)
}

// Alive reports whether the greenlet has been started (or scheduled to
// start) and has not ended (gevent's bool(g)).
func (gl *Greenlet[T]) Alive() bool {
	s := gl.g.State()
	return s == core.StateScheduled || s == core.StateRunning
}

// Started reports whether the greenlet's function has begun running; it stays
// true after the function returns. A greenlet killed before it started never
// starts.
func (gl *Greenlet[T]) Started() bool {
	s := gl.g.State()
	return s == core.StateRunning || (s == core.StateDead && gl.g.Ran())
}

// Join waits until the greenlet has ended. When ctx is cancelled first it
// returns ctx's cause and leaves the greenlet running.
func (gl *Greenlet[T]) Join(ctx context.Context) error { return gl.g.Join(ctx) }

// Get waits until the greenlet has ended and returns its result and error
// (ErrGreenletExit after a default kill). When ctx is cancelled first it
// returns the zero value and ctx's cause.
func (gl *Greenlet[T]) Get(ctx context.Context) (T, error) {
	if err := gl.g.Join(ctx); err != nil {
		var zero T
		return zero, err
	}
	return gl.value, gl.g.Result()
}

// TryGet returns the result and error if the greenlet has ended, and ok false
// without blocking otherwise (gevent's get(block=False)).
func (gl *Greenlet[T]) TryGet() (value T, err error, ok bool) {
	if !gl.g.Dead() {
		return value, nil, false
	}
	return gl.value, gl.g.Result(), true
}

// KillOption configures Kill and KillAll.
type KillOption func(*killConfig)

type killConfig struct {
	err     error
	noWait  bool
	timeout time.Duration
}

// KillError makes the kill deliver err instead of ErrGreenletExit. A greenlet
// that ends with it is not successful.
func KillError(err error) KillOption { return func(c *killConfig) { c.err = err } }

// KillNoWait makes Kill return without waiting for the greenlet to end.
func KillNoWait() KillOption { return func(c *killConfig) { c.noWait = true } }

// KillTimeout bounds how long Kill waits for the greenlet to end.
func KillTimeout(d time.Duration) KillOption { return func(c *killConfig) { c.timeout = d } }

func killOptions(opts []KillOption) killConfig {
	c := killConfig{err: ErrGreenletExit}
	for _, o := range opts {
		o(&c)
	}
	if c.err == nil {
		c.err = ErrGreenletExit
	}
	return c
}

// Kill cancels the greenlet's context with ErrGreenletExit (or KillError's
// error): its current and every later switch point returns that cause. A
// greenlet that has not started never runs; it is dead at once and its links
// fire later from the hub. Unless KillNoWait is given, Kill then waits until
// the greenlet has ended, for at most KillTimeout's duration and for as long
// as ctx allows; it never returns an error of its own (gevent's kill). A
// greenlet killing itself does not wait.
func (gl *Greenlet[T]) Kill(ctx context.Context, opts ...KillOption) {
	c := killOptions(opts)
	gl.g.Kill(c.err)
	if c.noWait || gl.g.Dead() || core.Current(ctx) == &gl.g {
		return
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	_ = gl.g.Join(ctx)
}

// Cancel kills the greenlet only if it has not started running, and reports
// whether it did (guv's cancel). It never blocks.
func (gl *Greenlet[T]) Cancel() bool { return gl.g.CancelStart(ErrGreenletExit) }

// Link arranges for fn to be called with the greenlet once it has ended, on
// its hub, after the greenlets already queued there; links run in
// registration order, each once. Linking an ended greenlet still calls fn.
// fn must not block (it runs on the hub, not in a greenlet); a panic in fn is
// reported and the remaining links still run. unlink removes the link and
// reports whether it was still pending.
func (gl *Greenlet[T]) Link(fn func(*Greenlet[T])) (unlink func() bool) {
	return gl.link(fn, func() bool { return true })
}

// LinkValue is Link for a successful ending only (ErrGreenletExit counts).
func (gl *Greenlet[T]) LinkValue(fn func(*Greenlet[T])) (unlink func() bool) {
	return gl.link(fn, gl.Successful)
}

// LinkException is Link for a failed ending only.
func (gl *Greenlet[T]) LinkException(fn func(*Greenlet[T])) (unlink func() bool) {
	return gl.link(fn, func() bool { return !gl.Successful() })
}

func (gl *Greenlet[T]) link(fn func(*Greenlet[T]), when func() bool) func() bool {
	if fn == nil {
		panic("gevent: Link with a nil function")
	}
	l := &core.Link{Fn: func() {
		if when() {
			fn(gl)
		}
	}}
	gl.g.AddLink(l)
	return func() bool { return gl.g.RemoveLink(l) }
}

// OnReady implements Waitable: f is called once, on the greenlet's hub, after
// the greenlet has ended. f must not block.
func (gl *Greenlet[T]) OnReady(f func()) (remove func() bool) {
	l := &core.Link{Fn: f}
	gl.g.AddLink(l)
	return func() bool { return gl.g.RemoveLink(l) }
}

// Name returns the greenlet's name: the one given with WithName, or
// "Greenlet-<ID>".
func (gl *Greenlet[T]) Name() string { return gl.g.Name() }

// ID returns a small integer identifying the greenlet among the live
// greenlets of its hub (gevent's minimal_ident). It is assigned on first use,
// as the smallest one free, and freed when the greenlet ends (gevent frees it
// when the object is garbage-collected), so a later greenlet may reuse the
// ID of an ended one.
func (gl *Greenlet[T]) ID() int { return gl.g.ID() }

// String describes the greenlet: name, id and state.
func (gl *Greenlet[T]) String() string {
	return fmt.Sprintf("<Greenlet %q id=%d %s>", gl.g.Name(), gl.g.ID(), gl.state())
}

func (gl *Greenlet[T]) state() string {
	s := gl.g.State()
	if s != core.StateDead {
		return s.String()
	}
	if gl.Successful() {
		return "dead: succeeded"
	}
	return "dead: failed: " + gl.g.Result().Error()
}

// Parent returns the greenlet that spawned this one, or nil when it was
// spawned from outside any greenlet (or by SpawnRaw).
func (gl *Greenlet[T]) Parent() Task {
	return taskOf(gl.g.Parent)
}

// SpawnStack returns where the greenlet was spawned, when recorded
// (WithSpawnStack, or WithSpawnStacks on the hub); nil otherwise.
func (gl *Greenlet[T]) SpawnStack() []runtime.Frame {
	stack := gl.g.Stack()
	if stack == nil {
		return nil
	}
	frames := runtime.CallersFrames(stack)
	var out []runtime.Frame
	for {
		f, more := frames.Next()
		out = append(out, f)
		if !more {
			return out
		}
	}
}

func (gl *Greenlet[T]) core() *core.G { return &gl.g }

// spawnCallbacks are called by Start and StartLater (copy-on-write).
var spawnCallbacks atomic.Pointer[[]*spawnCallback]

type spawnCallback struct{ f func(Task) }

// AddSpawnCallback registers f to be called, synchronously, each time a
// greenlet is started with Spawn, SpawnLater, Start or StartLater (not
// SpawnRaw), on any hub. remove unregisters it.
func AddSpawnCallback(f func(Task)) (remove func()) {
	if f == nil {
		panic("gevent: AddSpawnCallback with a nil function")
	}
	cb := &spawnCallback{f: f}
	for {
		old := spawnCallbacks.Load()
		var next []*spawnCallback
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, cb)
		if spawnCallbacks.CompareAndSwap(old, &next) {
			break
		}
	}
	return func() {
		for {
			old := spawnCallbacks.Load()
			if old == nil {
				return
			}
			var next []*spawnCallback
			for _, c := range *old {
				if c != cb {
					next = append(next, c)
				}
			}
			if spawnCallbacks.CompareAndSwap(old, &next) {
				return
			}
		}
	}
}

func runSpawnCallbacks(t Task) {
	if p := spawnCallbacks.Load(); p != nil {
		for _, c := range *p {
			c.f(t)
		}
	}
}
