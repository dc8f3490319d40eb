package gevent

import (
	"context"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// Hub is an event loop that runs greenlets one at a time on one goroutine.
// Create one with NewHub and run it with Serve on a goroutine of your choice,
// or let Run do both. Its methods are safe to call from any goroutine.
type Hub struct {
	h *core.Hub
}

// HubOption configures a hub.
type HubOption func(*core.Options)

// WithErrorHandler replaces the default error report (log/slog): f is called
// on the hub once for each greenlet that fails (an error other than
// ErrGreenletExit) and once for each link callback that panics (t is nil
// then). f must not block.
func WithErrorHandler(f func(t Task, err error)) HubOption {
	return func(o *core.Options) {
		o.ErrorHandler = func(g *core.G, err error) {
			f(taskOf(g), err)
		}
	}
}

// WithPanicCrash makes a panicking greenlet crash the program, as a panicking
// goroutine does, instead of ending it with a *PanicError.
func WithPanicCrash() HubOption { return func(o *core.Options) { o.CrashOnPanic = true } }

// WithSwitchInterval bounds how long one drain of the callback queue may run
// before timers and I/O get their turn (default 5ms, as gevent).
func WithSwitchInterval(d time.Duration) HubOption {
	return func(o *core.Options) { o.SwitchInterval = d }
}

// WithSpawnStacks records the spawning call stack of every greenlet of the
// hub (see Greenlet.SpawnStack). It costs a stack walk per spawn.
func WithSpawnStacks() HubOption { return func(o *core.Options) { o.CaptureStacks = true } }

// NewHub creates a hub. Nothing runs until Serve is called; greenlets spawned
// onto it before then start when it does.
func NewHub(opts ...HubOption) *Hub {
	return newHub(context.Background(), opts)
}

func newHub(ctx context.Context, opts []HubOption) *Hub {
	var o core.Options
	for _, opt := range opts {
		opt(&o)
	}
	return &Hub{h: core.NewHub(ctx, o)}
}

// Context returns a context that lets any goroutine spawn greenlets onto the
// hub. It carries no greenlet: blocking calls made with it block the calling
// goroutine.
func (h *Hub) Context() context.Context { return h.h.Context() }

// Serve runs the hub on the calling goroutine until Stop is called or ctx is
// cancelled, then kills every greenlet still alive, waits for them to end
// (their deferred calls run) and returns: nil after Stop, ctx's cause after
// cancellation. A hub can be served once.
func (h *Hub) Serve(ctx context.Context) error {
	h.h.Serve(ctx, nil)
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// Stop makes Serve kill every greenlet, wait for them and return. It does not
// wait. Any goroutine.
func (h *Hub) Stop() { h.h.Stop() }

// Run runs main as the first greenlet of a new hub on the calling goroutine
// and returns main's error once main has ended and every other greenlet has
// been killed and has ended (unlike gevent, which abandons them). Cancelling
// ctx kills main with ctx's cause. main's context carries ctx's values.
func Run(ctx context.Context, main func(ctx context.Context) error, opts ...HubOption) error {
	if main == nil {
		panic("gevent: Run with a nil main function")
	}
	h := newHub(ctx, opts)
	g := New(h.Context(), func(ctx context.Context) (struct{}, error) {
		return struct{}{}, main(ctx)
	}, WithName("main"))
	g.Start()
	h.h.Serve(ctx, &g.g)
	return g.g.Result()
}
