package gevent

// Spawning: the functions that make greenlets, their options and the spawn
// callbacks.

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

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
// its spawner. It costs about 0.5 to 1 µs and one allocation per greenlet,
// spawn to end (see Greenlet).
func Spawn[T any](ctx context.Context, fn func(context.Context) (T, error), opts ...SpawnOption) *Greenlet[T] {
	gl := newGreenlet(ctx, fn, opts, "Spawn")
	gl.Start()
	return gl
}

// Go is Spawn for a body that returns only an error (errgroup's word): the
// greenlet's value is struct{}. It is the usual way to start work whose
// result is its error, and costs what Spawn costs (one allocation holds the
// greenlet and fn).
func Go(ctx context.Context, fn func(context.Context) error, opts ...SpawnOption) *Greenlet[struct{}] {
	if ctx == nil {
		panic("gevent: Go: nil ctx")
	}
	if fn == nil {
		panic("gevent: Go: nil fn")
	}
	gl := newGo(ctx, fn, opts, "Go")
	gl.Start()
	return gl
}

// NewGo is New for a body that returns only an error: Go's greenlet, which
// does not run until Start or StartLater. Make a greenlet first and start it
// later when something must know it before it runs (a pool admits a member
// before it starts, a link registered before the start cannot miss its end).
func NewGo(ctx context.Context, fn func(context.Context) error, opts ...SpawnOption) *Greenlet[struct{}] {
	if ctx == nil {
		panic("gevent: NewGo: nil ctx")
	}
	if fn == nil {
		panic("gevent: NewGo: nil fn")
	}
	return newGo(ctx, fn, opts, "NewGo")
}

// newGo makes the unstarted greenlet of Go; what names the caller.
func newGo(ctx context.Context, fn func(context.Context) error, opts []SpawnOption, what string) *Greenlet[struct{}] {
	b := &goBody{fn: fn}
	b.gl.init(ctx, b, opts, what)
	return &b.gl
}

// goBody is the greenlet of Go: the handle and the error-only function in
// one allocation (a closure adapting fn to Spawn's signature would be a
// second one, and would hide fn's name from failure reports).
type goBody struct {
	gl Greenlet[struct{}]
	fn func(context.Context) error
}

func (b *goBody) RunBody(g *core.G) error { return b.fn(g) }

func (b *goBody) task() Task { return &b.gl }

func (b *goBody) BodyFunc() any { return b.fn }

// SpawnRunner is Spawn with r.Run as the body; a Runner that is a
// fmt.Stringer names the greenlet.
func SpawnRunner[T any](ctx context.Context, r Runner[T], opts ...SpawnOption) *Greenlet[T] {
	if ctx == nil {
		panic("gevent: SpawnRunner: nil ctx")
	}
	if r == nil {
		panic("gevent: SpawnRunner: nil r")
	}
	if s, ok := r.(fmt.Stringer); ok {
		opts = append([]SpawnOption{WithName(s.String())}, opts...)
	}
	gl := newGreenlet(ctx, r.Run, opts, "SpawnRunner")
	gl.Start()
	return gl
}

// SpawnLater is Spawn with a delay: the greenlet starts no earlier than d
// from now (guv's spawn_after). Negative d counts as zero.
func SpawnLater[T any](ctx context.Context, d time.Duration, fn func(context.Context) (T, error), opts ...SpawnOption) *Greenlet[T] {
	gl := newGreenlet(ctx, fn, opts, "SpawnLater")
	gl.StartLater(d)
	return gl
}

// SpawnRaw runs fn in a new greenlet without a handle (gevent's spawn_raw,
// guv's spawn_n): no result, no links, no spawn callbacks; the cheapest way to
// start work, though only slightly: the coroutine, not the handle, is most
// of a greenlet's cost (see Greenlet). A panic is reported to the hub's
// error handler.
func SpawnRaw(ctx context.Context, fn func(context.Context)) {
	if ctx == nil {
		panic("gevent: SpawnRaw: nil ctx")
	}
	if fn == nil {
		panic("gevent: SpawnRaw: nil fn")
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

func (r *rawGreenlet) BodyFunc() any { return r.fn }

// New creates a greenlet that does not run until Start or StartLater.
func New[T any](ctx context.Context, fn func(context.Context) (T, error), opts ...SpawnOption) *Greenlet[T] {
	return newGreenlet(ctx, fn, opts, "New")
}

// newGreenlet checks the arguments of the spawn function named what and
// creates the greenlet.
func newGreenlet[T any](ctx context.Context, fn func(context.Context) (T, error), opts []SpawnOption, what string) *Greenlet[T] {
	if ctx == nil {
		panic("gevent: " + what + ": nil ctx")
	}
	if fn == nil {
		panic("gevent: " + what + ": nil fn")
	}
	gl := &Greenlet[T]{fn: fn}
	gl.init(ctx, (*runner[T])(gl), opts, what)
	return gl
}

// init binds gl to ctx's hub with body as what runs.
func (gl *Greenlet[T]) init(ctx context.Context, body core.Runner, opts []SpawnOption, what string) {
	gl.g().Init(hubOf(ctx, what), ctx, body)
	if len(opts) > 0 {
		var c spawnConfig
		for _, o := range opts {
			o(&c)
		}
		if c.name != "" {
			gl.g().SetName(c.name)
		}
		if c.stack && gl.g().Stack() == nil {
			gl.g().SetStack(callers())
		}
	}
}

// callers records the spawning stack; SpawnStack drops the library's own
// frames at its top.
func callers() []uintptr {
	var pcs [32]uintptr
	n := runtime.Callers(2, pcs[:])
	return append([]uintptr(nil), pcs[:n]...)
}

// hubOf returns the hub a greenlet spawned with ctx runs on: ctx's, or one
// of the group's when ctx spreads (Spread, HubGroup.Context).
func hubOf(ctx context.Context, what string) *core.Hub {
	return core.SpawnHub(ctx, what)
}

// runner is the Greenlet as the hub sees it: a core.Runner. The conversion
// keeps RunBody out of Greenlet's method set.
type runner[T any] Greenlet[T]

// RunBody runs the function and keeps its value only on success (a kill
// with ErrGreenletExit counts), so that Value, Get and TryGet never hand out
// a value that came with a failure.
func (r *runner[T]) RunBody(g *core.G) error {
	v, err := r.fn(g)
	if err == nil || core.IsExit(err) {
		r.value = v
	}
	return err
}

func (r *runner[T]) task() Task { return (*Greenlet[T])(r) }

func (r *runner[T]) BodyFunc() any { return r.fn }

// spawnCallbacks are called by Start and StartLater (copy-on-write).
var spawnCallbacks atomic.Pointer[[]*spawnCallback]

type spawnCallback struct{ f func(Task) }

// AddSpawnCallback registers f to be called, synchronously, each time a
// greenlet is started with Spawn, SpawnLater, Start or StartLater (not
// SpawnRaw), on any hub. remove unregisters it.
func AddSpawnCallback(f func(Task)) (remove func()) {
	if f == nil {
		panic("gevent: AddSpawnCallback: nil f")
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
