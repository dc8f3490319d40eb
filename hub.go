package gevent

import (
	"context"
	"runtime"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// Hub is an event loop that runs greenlets one at a time on one goroutine.
// Create one with NewHub and run it with Serve on a goroutine of your choice,
// or let Run do both. Its methods are safe to call from any goroutine.
type Hub struct {
	h *core.Hub
}

// HubOption configures a hub: pass the values of the With... functions
// below to NewHub or Run. The zero HubOption configures nothing.
type HubOption struct {
	apply func(*core.Options)
}

// WithErrorHandler replaces the default error report (log/slog): f is called
// on the hub once for each greenlet that fails (an error other than
// ErrGreenletExit), except Run's main, whose error Run returns, and once for
// each RawLink or OnReady callback that panics. t is nil for a callback and
// for a greenlet without a handle (SpawnRaw's, a Link callback's). f must
// not block.
func WithErrorHandler(f func(t Task, err error)) HubOption {
	if f == nil {
		panic("gevent: WithErrorHandler: nil f")
	}
	return HubOption{func(o *core.Options) {
		o.ErrorHandler = func(g *core.G, err error) {
			f(taskOf(g), err)
		}
	}}
}

// WithPanicCrash makes a panicking greenlet crash the program, as a panicking
// goroutine does, instead of ending it with a *PanicError.
func WithPanicCrash() HubOption {
	return HubOption{func(o *core.Options) { o.CrashOnPanic = true }}
}

// WithSwitchInterval bounds how long one drain of the callback queue may run
// before timers and I/O get their turn (default 5ms, as gevent).
func WithSwitchInterval(d time.Duration) HubOption {
	return HubOption{func(o *core.Options) { o.SwitchInterval = d }}
}

// WithSpawnStacks records the spawning call stack of every greenlet of the
// hub (see Greenlet.SpawnStack). It costs a stack walk per spawn.
func WithSpawnStacks() HubOption {
	return HubOption{func(o *core.Options) { o.CaptureStacks = true }}
}

// WithHubName names the hub in dumps and reports (package debug); the
// default is "hub-<id>", id counting the hubs of the process from 1.
func WithHubName(name string) HubOption {
	return HubOption{func(o *core.Options) { o.Name = name }}
}

// NewHub creates a hub. Nothing runs until Serve is called; greenlets spawned
// onto it before then start when it does.
func NewHub(opts ...HubOption) *Hub {
	return newHub(context.Background(), opts)
}

func newHub(ctx context.Context, opts []HubOption) *Hub {
	o := core.Options{Panics: panics{}}
	if env := envMonitor(); env.apply != nil {
		env.apply(&o) // options below may replace it
	}
	for _, opt := range opts {
		if opt.apply != nil {
			opt.apply(&o)
		}
	}
	return &Hub{h: core.NewHub(ctx, o)}
}

// ID returns the hub's number in the process: hubs are numbered from 1 in
// creation order (package debug lists them so).
func (h *Hub) ID() uint64 { return h.core("ID").ID() }

// Name returns the hub's name: WithHubName's, or "hub-<id>".
func (h *Hub) Name() string { return h.core("Name").Name() }

// core returns the hub's machinery; a nil *Hub or a zero Hub (not made by
// NewHub) is misuse and panics naming method.
func (h *Hub) core(method string) *core.Hub {
	if h == nil {
		panic("gevent: Hub." + method + ": nil *Hub")
	}
	if h.h == nil {
		panic("gevent: Hub." + method + ": zero Hub; create one with NewHub")
	}
	return h.h
}

// Context returns a context that lets any goroutine spawn greenlets onto the
// hub. It carries no greenlet: blocking calls made with it block the calling
// goroutine.
func (h *Hub) Context() context.Context {
	return h.core("Context").Context()
}

// Serve runs the hub on the calling goroutine until Stop is called or ctx is
// cancelled, then kills every greenlet still alive, waits for them to end
// (their deferred calls run) and returns: nil after Stop, ctx's cause after
// cancellation. A hub can be served once. Like Run, Serve panics when called
// from a greenlet or a hub callback, and for a hub of a HubGroup (the group
// serves its hubs together: HubGroup.Serve).
func (h *Hub) Serve(ctx context.Context) error {
	h.core("Serve")
	if ctx == nil {
		panic("gevent: Hub.Serve: nil ctx")
	}
	if core.GroupOfHub(h.h) != nil {
		// Served alone it would not stop with the group, and the group's
		// Serve would then find it served (a panic on a goroutine of its own).
		panic("gevent: Hub.Serve: the hub belongs to a HubGroup; serve the group (HubGroup.Serve)")
	}
	refuseNested("Hub.Serve")
	h.h.Serve(ctx, nil)
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// Stop makes Serve kill every greenlet, wait for them and return. It does not
// wait. Any goroutine.
func (h *Hub) Stop() {
	h.core("Stop").Stop()
}

// Run runs main as the first greenlet of a new hub on the calling goroutine
// and returns main's error once main has ended and every other greenlet has
// been killed and has ended (unlike gevent, which abandons them). Cancelling
// ctx kills main with ctx's cause. main's context carries ctx's values.
// main's error is returned, not reported to the hub's error handler (so a
// cancelled ctx is not logged either); the other greenlets' failures are.
//
// Run must be called from a plain goroutine. Called from a greenlet (or from
// a hub callback) it panics: the new hub would run on the calling hub's
// goroutine, so that hub, and every greenlet on it, would stop until Run
// returned, and a main that waited for one of them would never return. To
// run more work from a greenlet, spawn greenlets; to run a second hub, call
// Run (or Hub.Serve) on a new goroutine. The check looks at the calling
// goroutine's stack, so it holds whatever ctx is passed; it costs a stack
// walk per call, which is why only Run and Serve make it.
func Run(ctx context.Context, main func(ctx context.Context) error, opts ...HubOption) error {
	if ctx == nil {
		panic("gevent: Run: nil ctx")
	}
	if main == nil {
		panic("gevent: Run: nil main")
	}
	refuseNested("Run")
	h := newHub(ctx, opts)
	g := Go(h.Context(), main, WithName("main"))
	h.h.Serve(ctx, g.g())
	return g.g().Result()
}

// refuseNested panics when the caller runs on a hub: inside a greenlet (a
// coroutine started by the hub) or on a hub's own goroutine (a link callback,
// a posted function).
func refuseNested(what string) {
	if onHub() {
		panic("gevent: " + what + " called from a greenlet or a hub callback: it would block that hub " +
			"(every greenlet on it) until it returned; spawn a greenlet instead, or run the new hub on its own goroutine")
	}
}

// onHub reports whether the calling goroutine is a greenlet's coroutine or a
// serving hub's goroutine, by looking for the hub's loop functions on its
// stack (a greenlet's coroutine starts in the coroutine loop; a hub's
// goroutine is inside Serve).
func onHub() bool {
	pcs := make([]uintptr, 64)
	skip := 2
	for {
		n := runtime.Callers(skip, pcs)
		frames := runtime.CallersFrames(pcs[:n])
		for {
			f, more := frames.Next()
			switch f.Function {
			case coroLoopFunc, hubServeFunc:
				return true
			}
			if !more {
				break
			}
		}
		if n < len(pcs) {
			return false
		}
		skip += n
	}
}

// The functions that mark a goroutine as a hub's: checked by
// TestNestedRunRefused, which would fail if they were renamed.
const (
	coroLoopFunc = "github.com/gevent-go/gevent/internal/core.(*coro).loop"
	hubServeFunc = "github.com/gevent-go/gevent/internal/core.(*Hub).Serve"
)
