package gevent

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/gevent-go/gevent/internal/core"
)

// HubGroup is a group of hubs served together, one loop per goroutine, so
// that greenlet code uses every core: one hub runs on one core at a time,
// and a group of GOMAXPROCS hubs runs on all of them. Greenlet code does not
// change: a greenlet lives on one hub for its whole life and keeps there
// every single-hub guarantee (between two switch points it runs alone among
// that hub's greenlets); greenlets of different hubs run in parallel, and
// share data only through the library's primitives (events, queues, locks,
// pools, joins and kills all work across hubs), or with their own locks.
//
// Placement: a greenlet spawned with the group's Context, or with a context
// made by Spread, is placed on one of the group's hubs in turn
// (round-robin; measured against least-loaded in docs/performance.md); one
// spawned with a greenlet's own context stays on that greenlet's hub, as in
// gevent; Hub(i).Context() places it on hub i.
//
// The group is started and stopped as one: Serve (or RunGroup) serves every
// hub, and when any of them stops, all do, each killing and joining its
// greenlets. Its methods are safe from any goroutine.
type HubGroup struct {
	hubs []*Hub
	cg   *core.Group
	ctx  context.Context // the spreading context over hub 0's

	mu     sync.Mutex // guards served
	served bool
}

// NewHubGroup creates a group of n hubs configured by opts (each hub gets
// the same options: with WithErrorHandler, the handler may be called from
// several hubs at once). n < 1 means runtime.GOMAXPROCS(0), one hub per
// core; n above 4096 panics. Nothing runs until Serve.
func NewHubGroup(n int, opts ...HubOption) *HubGroup {
	return newHubGroup(context.Background(), n, opts, "NewHubGroup")
}

// maxHubGroup is the largest number of hubs a group may have. A hub beyond
// one per core adds no parallelism, only loops and memory; the cap turns a
// wrong n (a size, an ID) into a clear panic instead of an allocation that
// exhausts memory.
const maxHubGroup = 1 << 12

func newHubGroup(ctx context.Context, n int, opts []HubOption, what string) *HubGroup {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	if n > maxHubGroup {
		panic(fmt.Sprintf("gevent: %s: %d hubs, more than the limit of %d", what, n, maxHubGroup))
	}
	g := &HubGroup{hubs: make([]*Hub, n)}
	hs := make([]*core.Hub, n)
	for i := range g.hubs {
		g.hubs[i] = newHub(ctx, opts)
		hs[i] = g.hubs[i].h
	}
	g.cg = core.NewGroup(hs)
	g.ctx = core.NewSpreadCtx(hs[0].Context(), g.cg)
	return g
}

// Len returns the number of hubs.
func (g *HubGroup) Len() int { return len(g.hubs) }

// Hub returns hub i (0 ≤ i < Len): its Context places greenlets on that hub
// only. Out-of-range i panics.
func (g *HubGroup) Hub(i int) *Hub {
	if i < 0 || i >= len(g.hubs) {
		panic(fmt.Sprintf("gevent: HubGroup.Hub: index %d out of range [0, %d)", i, len(g.hubs)))
	}
	return g.hubs[i]
}

// Context returns the group's spreading context: any goroutine may spawn
// with it, and each greenlet spawned with it (or with a context derived
// from it with the context package) is placed on one of the group's hubs.
// It carries no greenlet: a blocking call made with it blocks the calling
// goroutine, as with a Hub's Context. Servers given it serve on every hub
// (see package server), and pools spawning with it spread their members.
func (g *HubGroup) Context() context.Context {
	g.made("Context")
	return g.ctx
}

// made panics naming method when g was not made by NewHubGroup (a zero
// HubGroup has no hub to serve or spawn on).
func (g *HubGroup) made(method string) {
	if g.cg == nil {
		panic("gevent: HubGroup." + method + ": zero HubGroup; create one with NewHubGroup")
	}
}

// Serve serves every hub of the group, hub 0 on the calling goroutine and
// each other on a goroutine of its own, until Stop is called, ctx is
// cancelled or any hub is stopped (Hub(i).Stop); then every hub kills its
// greenlets and waits for them, and Serve returns once all have: nil after
// a stop, ctx's cause after cancellation. A group can be served once; like
// Run, Serve panics when called from a greenlet or a hub callback.
func (g *HubGroup) Serve(ctx context.Context) error {
	if ctx == nil {
		panic("gevent: HubGroup.Serve: nil ctx")
	}
	g.made("Serve")
	refuseNested("HubGroup.Serve")
	g.serve(ctx, nil)
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// serve runs the hubs, hub 0 with main (nil: none), and returns when all
// have closed.
func (g *HubGroup) serve(ctx context.Context, main *core.G) {
	g.mu.Lock()
	if g.served {
		g.mu.Unlock()
		panic("gevent: HubGroup served twice")
	}
	g.served = true
	g.mu.Unlock()
	defer g.cg.Close()
	// Only hub 0 watches ctx (its main, if any, is killed with ctx's cause
	// first); the others stop when it does.
	rest := context.WithoutCancel(ctx)
	var wg, started sync.WaitGroup
	for _, h := range g.hubs[1:] {
		wg.Add(1)
		started.Add(1)
		h.h.Post(started.Done) // runs once h serves (or at once if it has closed)
		go func() {
			defer wg.Done()
			defer g.Stop() // one hub stopped: all stop
			h.h.Serve(rest, nil)
		}()
	}
	// Hub 0 (main) starts once the others serve: until then a hub given
	// greenlets counts as busy only while someone waits on them, and main
	// could see ErrLoopExit while its wake-up waits for a hub to start.
	started.Wait()
	func() {
		defer g.Stop()
		g.hubs[0].h.Serve(ctx, main)
	}()
	wg.Wait()
}

// Stop makes every hub of the group kill its greenlets, wait for them and
// close, and Serve (or RunGroup) return. It does not wait. Any goroutine.
func (g *HubGroup) Stop() {
	for _, h := range g.hubs {
		h.h.Stop()
	}
}

// RunGroup is Run over a group of n hubs (n < 1: GOMAXPROCS, one per core;
// at most 4096):
// main runs as the first greenlet of hub 0, on the calling goroutine, while
// the other hubs run on goroutines of their own; when main has ended, every
// hub kills its greenlets and waits for them (their deferred calls run), and
// RunGroup returns main's error once all hubs have closed. Cancelling ctx
// kills main with ctx's cause.
//
// main's context is a greenlet's: what main spawns with it stays on hub 0.
// Spread(ctx) gives a context whose spawns are placed on the group's hubs;
// servers and pools given that context use every hub. A wait of main that
// nothing can complete returns ErrLoopExit, as under Run: the group's other
// hubs count only while they have something that could complete it (a live
// greenlet, a queued callback, a timer, I/O or outside work in flight); an
// idle hub of the group does not keep main waiting. Other hubs outside the
// group count as under Run.
func RunGroup(ctx context.Context, n int, main func(ctx context.Context) error, opts ...HubOption) error {
	if ctx == nil {
		panic("gevent: RunGroup: nil ctx")
	}
	if main == nil {
		panic("gevent: RunGroup: nil main")
	}
	refuseNested("RunGroup")
	g := newHubGroup(ctx, n, opts, "RunGroup")
	m := Go(g.hubs[0].Context(), main, WithName("main"))
	// Main's end stops the other hubs (hub 0 stops by itself).
	m.OnReady(g.Stop)
	g.serve(ctx, m.g())
	return m.g().Result()
}

// Spread returns a context like ctx (its values and cancellation; when ctx
// is a greenlet's, blocking calls made with it park that greenlet as with
// ctx) whose spawns are placed on the hubs of the group ctx's hub belongs
// to: how a greenlet of a group, main among them, fans work out to every
// core, and how it gives a server or a pool the whole group. A greenlet
// spawned with it does not spread in turn: its own context keeps its spawns
// on its hub. Contexts derived from it with the context package spread
// too; the library's own (WithTimeout, a Timeout's) do not: spread those
// with Spread(WithTimeout(ctx, d)). With a ctx whose hub belongs to no
// group (a hub of Run, a plain Hub), Spread returns ctx unchanged: its
// spawns stay on that hub. ctx must carry a hub.
func Spread(ctx context.Context) context.Context {
	if ctx == nil {
		panic("gevent: Spread: nil ctx")
	}
	if core.SpreadOf(ctx) != nil {
		return ctx
	}
	h := core.MustHub(ctx, "gevent: Spread")
	cg := core.GroupOfHub(h)
	if cg == nil {
		return ctx
	}
	return core.NewSpreadCtx(ctx, cg)
}

// HubIndex returns the index, in its HubGroup, of the hub ctx belongs to
// (the hub a greenlet's context runs on; hub 0 for a group's Context), or
// -1 when ctx carries no hub or its hub belongs to no group. Greenlets of
// one hub never run at the same time, so state kept per hub index (a slice
// of Len shards) needs no lock when only that hub's greenlets touch it.
func HubIndex(ctx context.Context) int {
	if ctx == nil {
		panic("gevent: HubIndex: nil ctx")
	}
	h := core.HubOf(ctx)
	cg := core.GroupOfHub(h)
	if cg == nil {
		return -1
	}
	return cg.Index(h)
}
