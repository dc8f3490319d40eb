package core

import (
	"context"
	"time"
)

// Context keys. Values of these types are only ever compared, never stored.
type (
	greenletKey struct{}
	hubKey      struct{}
)

// Current returns the greenlet that is running on the hub ctx belongs to, or
// nil when ctx carries no greenlet (a plain goroutine, a Hub's context, a
// detached context) or that hub is not running a greenlet right now (a link
// callback on the hub). Blocking calls made with a greenlet's context park
// the hub's running greenlet; see the package documentation for the rule
// this imposes on other goroutines.
//
// A greenlet's context belongs to that greenlet and its descendants: a
// greenlet may wait with the context of an ancestor it captured (a closure,
// an iterator that a pool consumes in a greenlet of its own), and then the
// running greenlet parks. When the hub runs any other greenlet, the call
// comes from a plain goroutine racing with the hub, and parking would
// suspend a coroutine from the wrong goroutine; Current panics then. What it
// cannot see is a plain goroutine using a greenlet's context at the very
// moment the hub runs that greenlet or a descendant: telling goroutines apart
// costs microseconds, too much for every switch (see the package doc).
func Current(ctx context.Context) *G {
	g, misuse := current(ctx)
	if misuse != "" {
		panic(misuse)
	}
	return g
}

// current is Current reporting misuse as a message instead of panicking
// (Prepare runs under the caller's lock).
func current(ctx context.Context) (*G, string) {
	if g, ok := ctx.(*G); ok { // fast path: a greenlet's own context
		if c := g.hub.current; c == g || c == nil {
			return c, ""
		}
		return checkDescendant(g)
	}
	return currentSlow(ctx)
}

func currentSlow(ctx context.Context) (*G, string) {
	var g *G
	switch c := ctx.(type) {
	case *G:
		g = c
	case *TimerCtx:
		if c.g == nil {
			return nil, "" // derived from a context without a greenlet
		}
		g = c.g
	case detached:
		return nil, ""
	default:
		g, _ = ctx.Value(greenletKey{}).(*G)
		if g == nil {
			return nil, ""
		}
	}
	if g.hub == nil {
		return nil, ""
	}
	c := g.hub.current
	if c != nil && c != g {
		return checkDescendant(g)
	}
	return c, ""
}

// checkDescendant returns the running greenlet of g's hub when it descends
// from g (it waits with a captured ancestor's context), and the misuse
// otherwise.
func checkDescendant(g *G) (*G, string) {
	c := g.hub.current
	for p := c.Parent; p != nil; p = p.Parent {
		if p == g {
			return c, ""
		}
	}
	return nil, "gevent: blocking call with the context of greenlet " + g.Name() +
		" while its hub runs " + c.Name() + ", which does not descend from it: the call comes " +
		"from a plain goroutine; give goroutines a context without a greenlet " +
		"(a Hub's Context, or context.Background)"
}

// HubOf returns the hub ctx belongs to (through a greenlet's context, a
// timeout derived from one, or a Hub's own context), or nil.
func HubOf(ctx context.Context) *Hub {
	if g, ok := ctx.(*G); ok { // fast path: a greenlet's own context
		return g.hub
	}
	switch c := ctx.(type) {
	case *G:
		return c.hub
	case *TimerCtx:
		if c.hub != nil {
			return c.hub
		}
	case detached:
		return nil
	}
	h, _ := ctx.Value(hubKey{}).(*Hub)
	return h
}

// MustHub returns ctx's hub and panics when ctx carries none: who (the
// package and function, "gevent/pool: Map") needs a context that can spawn
// greenlets. The one wording of that misuse across the packages.
func MustHub(ctx context.Context, who string) *Hub {
	h := HubOf(ctx)
	if h == nil {
		panic(who + " needs a context from a greenlet, gevent.Run or Hub.Context; this one carries no hub")
	}
	return h
}

// GreenletOf returns the greenlet whose context ctx is or derives from.
func GreenletOf(ctx context.Context) *G {
	switch c := ctx.(type) {
	case *G:
		return c
	case detached:
		return nil
	}
	g, _ := ctx.Value(greenletKey{}).(*G)
	return g
}

// Cause returns why ctx is cancelled, or nil: for the library's contexts the
// kill or timeout cause itself, for others context.Cause. Every switch point
// checks it first, which makes cancellation level-triggered.
func Cause(ctx context.Context) error {
	if g, ok := ctx.(*G); ok { // fast path: a greenlet's own context
		if !g.cancelled.Load() {
			return nil
		}
		return g.causeOf()
	}
	return causeSlow(ctx)
}

func causeSlow(ctx context.Context) error {
	for {
		switch c := ctx.(type) {
		case *G:
			if !c.cancelled.Load() {
				return nil
			}
			return c.causeOf()
		case *TimerCtx:
			if c.cancelled.Load() {
				return c.causeOf()
			}
			ctx = c.parent
		case detached:
			ctx = c.Context
		default:
			if ctx.Err() == nil {
				return nil
			}
			return context.Cause(ctx)
		}
	}
}

// valuesParent returns the context a library context delegates Value to. A
// foreign parent is wrapped in a foreignValues (context.WithoutCancel's
// behaviour) so that context.Cause on our context never finds an
// ancestor's cancelCtx (it would report that ancestor's cause instead of
// ours).
func valuesParent(ctx context.Context) context.Context {
	switch ctx.(type) {
	case *G, *TimerCtx, *HubCtx:
		return ctx
	}
	return &foreignValues{ctx}
}

// detached is a context whose greenlet and hub are hidden: blocking calls
// made with it block the calling goroutine. It keeps the parent's
// cancellation, deadline and other values.
type detached struct{ context.Context }

func (d detached) Value(key any) any {
	switch key.(type) {
	case greenletKey, hubKey:
		return nil
	}
	return d.Context.Value(key)
}

// Detach returns a context with ctx's cancellation, deadline and values but no
// greenlet or hub, for handing to other goroutines.
func Detach(ctx context.Context) context.Context { return detached{ctx} }

// HubCtx is a Hub's own context: it lets any goroutine spawn onto the hub,
// and blocks like a plain goroutine context otherwise.
type HubCtx struct {
	context.Context // the values parent (cancellation stripped)
	hub             *Hub
}

// Value returns the hub for the hub key and delegates otherwise.
func (c *HubCtx) Value(key any) any {
	switch key.(type) {
	case hubKey:
		return c.hub
	case greenletKey:
		return nil
	}
	return c.Context.Value(key)
}

// The context.Context implementation of a greenlet. A greenlet's context is
// cancelled when it is killed (with the kill's cause) and when its body
// returns (with ErrGreenletDone).

// Deadline reports no deadline: a greenlet outlives the context it was
// spawned with, as in gevent.
func (g *G) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done returns a channel closed when the greenlet is killed or ends.
func (g *G) Done() <-chan struct{} {
	d, _ := g.canceler.doneChan()
	return d
}

// Err returns nil until the greenlet is killed or ends, then an error that
// is the cause (or wraps it) and satisfies errors.Is(err, context.Canceled).
func (g *G) Err() error {
	if !g.cancelled.Load() {
		return nil
	}
	return errOf(g.causeOf())
}

// Value returns the greenlet and its hub for the library's keys and the
// spawning context's values otherwise.
func (g *G) Value(key any) any {
	switch key.(type) {
	case greenletKey:
		return g
	case hubKey:
		return g.hub
	}
	if key == cancelCtxKey && key != nil {
		return g.causeValue() // never an ancestor's: its cancellation is not ours
	}
	if g.values == nil {
		return nil
	}
	return g.values.Value(key)
}

// AfterFunc lets contexts derived with the context package watch a greenlet's
// context without a goroutine.
func (g *G) AfterFunc(f func()) func() bool { return g.canceler.afterFunc(f) }
