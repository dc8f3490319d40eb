package core

import (
	"context"
	"sync/atomic"
)

// Group is a set of hubs served together (the root package's HubGroup): a
// spreading context (SpreadCtx) places the greenlets spawned with it on the
// group's hubs. The hubs never change after NewGroup.
type Group struct {
	hubs []*Hub
	// next is the round-robin cursor of Pick.
	next atomic.Uint64
	// leastLoaded selects Pick's policy; set before the group is used
	// (benchmarks compare the two policies).
	leastLoaded bool
}

// NewGroup makes a group of hubs (at least one). Each hub may belong to one
// group only; it finds its group through its own group field (GroupOfHub).
func NewGroup(hubs []*Hub) *Group {
	if len(hubs) == 0 {
		panic("gevent: internal error: empty hub group")
	}
	g := &Group{hubs: hubs}
	for _, h := range hubs {
		if !h.group.CompareAndSwap(nil, g) {
			panic("gevent: internal error: hub already in a group")
		}
	}
	return g
}

// Close forgets the group's hubs (GroupOfHub no longer finds the group from
// them). Idempotent.
func (g *Group) Close() {
	for _, h := range g.hubs {
		h.group.CompareAndSwap(g, nil)
	}
}

// Hubs returns the group's hubs; the slice must not be modified.
func (g *Group) Hubs() []*Hub { return g.hubs }

// SetLeastLoaded selects least-loaded placement instead of round-robin.
// Call before the group is shared.
func (g *Group) SetLeastLoaded(on bool) { g.leastLoaded = on }

// Pick returns the hub the next spawn is placed on: round-robin (one atomic
// add), or the hub with the fewest live greenlets when least-loaded.
func (g *Group) Pick() *Hub {
	if len(g.hubs) == 1 {
		return g.hubs[0]
	}
	if g.leastLoaded {
		return g.pickLeastLoaded()
	}
	i := g.next.Add(1) - 1
	return g.hubs[i%uint64(len(g.hubs))]
}

// pickLeastLoaded scans every hub's live count (one lock each), starting
// after the previous pick so that ties rotate.
func (g *Group) pickLeastLoaded() *Hub {
	n := uint64(len(g.hubs))
	start := g.next.Add(1)
	best, bestLoad := g.hubs[start%n], -1
	for k := uint64(0); k < n; k++ {
		h := g.hubs[(start+k)%n]
		if l := h.Live(); bestLoad < 0 || l < bestLoad {
			best, bestLoad = h, l
		}
	}
	return best
}

// GroupOfHub returns the group h belongs to, or nil.
func GroupOfHub(h *Hub) *Group {
	if h == nil {
		return nil
	}
	return h.group.Load()
}

// spreadKey is the context key of a spreading context's group.
type spreadKey struct{}

// SpreadCtx is a spreading context: everything is its parent's (values,
// cancellation, greenlet, hub: a blocking call made with it behaves as with
// the parent), except that the greenlets spawned with it (or with a context
// derived from it with the context package) are placed on the group's hubs.
// A greenlet spawned with it does not spread in turn: its context stays on
// its own hub (see valuesParent).
type SpreadCtx struct {
	context.Context
	group *Group
}

// NewSpreadCtx returns a context like parent whose spawns are placed on g's
// hubs.
func NewSpreadCtx(parent context.Context, g *Group) *SpreadCtx {
	return &SpreadCtx{Context: parent, group: g}
}

// Value returns the group for the spread key and the parent's values
// otherwise.
func (c *SpreadCtx) Value(key any) any {
	if _, ok := key.(spreadKey); ok {
		return c.group
	}
	return c.Context.Value(key)
}

// SpreadOf returns the group whose hubs ctx's spawns are placed on, or nil
// when ctx does not spread (a greenlet's context, a timeout's, a Hub's).
// Only a SpreadCtx and the contexts derived from it with the context
// package spread: the library's own contexts hide the spread of the
// contexts they were made from (valuesParent).
func SpreadOf(ctx context.Context) *Group {
	switch c := ctx.(type) {
	case *G, *TimerCtx, *HubCtx, *onHubCtx, detached, unspread:
		return nil
	case *SpreadCtx:
		return c.group
	}
	g, _ := ctx.Value(spreadKey{}).(*Group)
	return g
}

// SpawnHub returns the hub a greenlet spawned with ctx runs on: a hub of
// the group when ctx spreads, ctx's hub otherwise; when ctx carries none it
// panics as MustHub, naming the caller as "gevent: "+what (a message built
// only then).
func SpawnHub(ctx context.Context, what string) *Hub {
	if g, ok := ctx.(*G); ok { // fast path: a greenlet's own context
		return g.hub
	}
	switch c := ctx.(type) {
	case *SpreadCtx:
		return c.group.Pick()
	case *TimerCtx, *HubCtx, *onHubCtx, detached, unspread:
		// The library's own contexts never spread.
	default:
		if gr := SpreadOf(ctx); gr != nil {
			return gr.Pick()
		}
	}
	if h := HubOf(ctx); h != nil {
		return h // no message to build: this runs at every spawn
	}
	return MustHub(ctx, "gevent: "+what) // panics
}

// OnHub returns a context like ctx (its values, cancellation and
// greenlet: a wait made with it parks ctx's greenlet) whose spawns go to h,
// and which does not spread: how a server starts its loop on each hub of a
// group, and hands a connection's handler to another hub from its accept
// loop (a Pool's wait for a slot then parks the loop, as with its own ctx).
func OnHub(ctx context.Context, h *Hub) context.Context {
	return &onHubCtx{Context: ctx, hub: h}
}

// onHubCtx is OnHub's context.
type onHubCtx struct {
	context.Context
	hub *Hub
}

func (c *onHubCtx) Value(key any) any {
	switch key.(type) {
	case hubKey:
		return c.hub
	case spreadKey:
		return nil
	}
	return c.Context.Value(key)
}

// Index returns h's position in the group, or -1.
func (g *Group) Index(h *Hub) int {
	for i, o := range g.hubs {
		if o == h {
			return i
		}
	}
	return -1
}

// Unspread returns ctx without its spreading (the same context when it has
// none): greenlets spawned with it run on ctx's own hub. Everything else is
// ctx's.
func Unspread(ctx context.Context) context.Context {
	if SpreadOf(ctx) == nil {
		return ctx
	}
	return unspread{ctx}
}

// unspread is Unspread's context.
type unspread struct{ context.Context }

func (c unspread) Value(key any) any {
	if _, ok := key.(spreadKey); ok {
		return nil
	}
	return c.Context.Value(key)
}

// idleSibling reports whether o, a serving hub, belongs to self's group and
// can wake nothing by itself: it sleeps in its poller with no live
// greenlet, no queued callback, no timer, no registered I/O and no outside
// work held. Such a hub only relays what others post to it, so it does not
// keep self's main from ErrLoopExit (RunGroup's main sees ErrLoopExit as
// Run's does). Called under self.mu: it only tries o.mu (two stopping
// siblings may decide at once, each under its own lock, so waiting for the
// other's could deadlock them); a sibling whose lock is taken counts as
// busy, which can delay an ErrLoopExit but never make a false one.
func idleSibling(self, o *Hub) bool {
	g := GroupOfHub(self)
	if g == nil || g.Index(o) < 0 {
		return false
	}
	if !o.mu.TryLock() {
		return false
	}
	idle := o.phase == phaseRunning && o.sleeping.Load() && o.live.n == 0 && len(o.runq) == 0 &&
		o.holds.Load() == 0 && !o.poller.Busy()
	o.mu.Unlock()
	if !idle {
		return false
	}
	_, timer := o.nextTimer()
	return !timer
}

// wakeGroupMain tells the hub of h's group that runs a main greenlet to
// decide ErrLoopExit again, as h, which has no main, is going to sleep for
// ever: that hub may have found h busy (or h's lock taken) a moment ago and
// gone to sleep itself, and nothing else would wake it. Called after h set
// its sleeping flag and released its lock: the main hub either decides
// after this kick's lock (and sees h asleep) or is asleep and woken.
func (h *Hub) wakeGroupMain() {
	g := GroupOfHub(h)
	if g == nil {
		return
	}
	for _, o := range g.hubs {
		if o != h && o.hasMain.Load() {
			o.kick()
		}
	}
}
