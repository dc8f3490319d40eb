package core

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
	"weak"
)

// Snapshots: a copy of what every live greenlet of a hub is doing, taken on
// the hub's goroutine between two tasks (so that it is consistent: nothing
// runs meanwhile) and rendered elsewhere (the debug package). The capture
// copies plain data only; names, functions and stacks are resolved by the
// renderer.

// hubDebug is what a hub keeps for introspection: its process-wide number
// and name. Both are set by NewHub and never change.
type hubDebug struct {
	id   uint64
	name string
}

// hubSeq numbers hubs in creation order.
var hubSeq atomic.Uint64

// hubRegistry lists the hubs of the process in creation order, weakly: a hub
// that is no longer referenced drops out, and a closed hub is pruned.
var hubRegistry struct {
	mu   sync.Mutex // guards hubs and prune
	hubs []weak.Pointer[Hub]
	// prune is the length at which registering prunes the list, so that
	// a process that makes many hubs and never dumps keeps it short.
	prune int
}

// registerHub numbers h, names it and lists it. Called by NewHub.
func registerHub(h *Hub) {
	h.dbg.id = hubSeq.Add(1)
	h.dbg.name = h.opts.Name
	if h.dbg.name == "" {
		h.dbg.name = "hub-" + itoa(int(h.dbg.id))
	}
	hubRegistry.mu.Lock()
	defer hubRegistry.mu.Unlock()
	if len(hubRegistry.hubs) >= hubRegistry.prune {
		pruneHubsLocked()
		hubRegistry.prune = 2*len(hubRegistry.hubs) + 16
	}
	hubRegistry.hubs = append(hubRegistry.hubs, weak.Make(h))
}

// pruneHubsLocked drops the hubs that are gone or closed and returns the
// others, in creation order. hubRegistry.mu is held.
func pruneHubsLocked() []*Hub {
	var out []*Hub
	keep := hubRegistry.hubs[:0]
	for _, p := range hubRegistry.hubs {
		h := p.Value()
		if h == nil || h.Closed() {
			continue
		}
		keep = append(keep, p)
		out = append(out, h)
	}
	clear(hubRegistry.hubs[len(keep):])
	hubRegistry.hubs = keep
	return out
}

// Hubs returns the hubs of the process that have not closed, in creation
// order.
func Hubs() []*Hub {
	hubRegistry.mu.Lock()
	defer hubRegistry.mu.Unlock()
	return pruneHubsLocked()
}

// ID returns the hub's process-wide number (creation order, from 1).
func (h *Hub) ID() uint64 { return h.dbg.id }

// Name returns the hub's name (Options.Name, or "hub-<id>").
func (h *Hub) Name() string { return h.dbg.name }

// Phase names the hub's phase: idle, running, stopping or closed.
func (h *Hub) Phase() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return phaseNames[h.phase]
}

// Closed reports whether the hub has closed.
func (h *Hub) Closed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.phase == phaseClosed
}

// OnHub runs f on h's goroutine between two tasks and reports whether it
// did: at once when ctx is a greenlet of h, else posted and waited for, at
// most timeout (a hub held by a spinning greenlet does not respond: false,
// and f never runs). A hub not served yet, or closed, gets false at once. A
// greenlet of another hub parks meanwhile (its hub runs on); a plain
// goroutine blocks. f must not block.
func (h *Hub) OnHub(ctx context.Context, timeout time.Duration, f func()) bool {
	if g := Current(ctx); g != nil && g.hub == h {
		f()
		return true
	}
	// state: 0 posted, 1 f runs (or ran), 2 the caller gave up first.
	var state atomic.Int32
	done := make(chan struct{})
	h.mu.Lock()
	ph := h.phase
	h.mu.Unlock()
	if ph == phaseIdle || ph == phaseClosed {
		return false // no loop to run f (and none to wait for)
	}
	h.Post(func() {
		if state.CompareAndSwap(0, 1) {
			f()
			close(done)
		}
	})
	wait := func() (struct{}, error) {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		case <-ctx.Done():
		}
		return struct{}{}, nil
	}
	if Current(ctx) != nil {
		// Park the greenlet; the wait runs on a goroutine of its own.
		o, err := NewOffload[struct{}](ctx)
		if err == nil {
			o.Describe("hub.capture", nil)
			go o.Run(wait)
			if _, _, cause := o.Wait(ctx); cause != nil {
				o.Abandon(nil)
			}
		}
	} else {
		wait()
	}
	if state.CompareAndSwap(0, 2) {
		return false // f will never run
	}
	<-done // f started: it writes the caller's memory until it returns
	return true
}

// GState is a greenlet's state in a snapshot.
type GState uint8

// The states of a snapshot's greenlets.
const (
	GScheduled GState = iota // spawned, its first run queued (or delayed)
	GRunnable                // woken or yielded: queued to resume
	GRunning                 // the greenlet that took the snapshot
	GParked                  // parked in a wait
)

var gStateNames = [...]string{"scheduled", "runnable", "running", "parked"}

// String names the state.
func (s GState) String() string { return gStateNames[s] }

// GInfo is what a snapshot holds about one live greenlet.
type GInfo struct {
	ID     int32
	Parent int32 // -1: no parent, or the parent has ended or lives on another hub
	State  GState
	// Name is the greenlet's name; "" for the default ("Greenlet-<id>").
	Name string
	// Func is the greenlet's function (nil when unknown); resolve it with
	// FuncName off the hub.
	Func any
	// SpawnPCs is the spawning stack when it was recorded (shared with
	// the greenlet: do not modify).
	SpawnPCs []uintptr
	// Wait is the wait record of a parked greenlet.
	Wait WaitInfo

	obj unsafe.Pointer // the object, until Snapshot has described it
}

// WaitInfo is a parked greenlet's wait in a snapshot.
type WaitInfo struct {
	Kind WaitKind
	// Obj indexes HubSnapshot.Objects; -1 when the wait has no object.
	Obj int32
	// For is how long the greenlet has waited; Deadline the time left for
	// a Sleep (0 otherwise).
	For, Deadline time.Duration
}

// ObjInfo is one object waited on, described once per snapshot.
type ObjInfo struct {
	Kind WaitKind // the kind of the first wait found on it
	Addr uintptr  // identity within the snapshot
	// Object is the describer's text; for a join ("" here) the reader
	// names Target instead, from the snapshot's own greenlets (a dump of
	// many joins then costs the hub no string).
	Object string
	// Target is the id of a join's target greenlet (-1: not a join, or a
	// target that has ended or lives on another hub).
	Target int32
	// Wakers are the ids of the greenlets of this hub that alone can end
	// waits on the object (-1: a greenlet of another hub, or ended).
	Wakers []int32
}

// HubSnapshot is a copy of one hub's state.
type HubSnapshot struct {
	Phase     string
	Clock     time.Duration // the hub's loop clock
	RunQueue  int
	Timers    int
	Greenlets []GInfo // spawn order (oldest first)
	Objects   []ObjInfo

	// Scratch space kept for the next Snapshot into the same value.
	gs     []*G
	objs   map[unsafe.Pointer]int32
	wakers []int32
}

// Release drops what s references (greenlets, functions, stacks) while
// keeping its memory for the next Snapshot.
func (s *HubSnapshot) Release() {
	clear(s.Greenlets)
	clear(s.Objects)
	clear(s.gs)
	clear(s.objs)
}

var phaseNames = [...]string{"idle", "running", "stopping", "closed"}

// Snapshot copies the hub's state into s (reusing its slices). Hub
// goroutine only: call it through OnHub.
func (h *Hub) Snapshot(s *HubSnapshot) {
	now := h.loopNow()
	s.Clock = time.Duration(now)
	h.mu.Lock()
	s.Phase = phaseNames[h.phase]
	s.RunQueue = h.queuedLocked()
	// The live set is in spawn order, oldest first.
	n := h.live.n
	if cap(s.Greenlets) < n {
		s.Greenlets = make([]GInfo, n)
	}
	if cap(s.gs) < n {
		s.gs = make([]*G, n)
	}
	gs := s.gs[:0]
	h.live.each(func(g *G) bool {
		gs = append(gs, g)
		return true
	})
	s.Greenlets = s.Greenlets[:len(gs)]
	if s.objs == nil {
		s.objs = make(map[unsafe.Pointer]int32)
	}
	objs := s.objs
	clear(objs)
	s.Objects = s.Objects[:0]
	s.wakers = s.wakers[:0]
	nowUnits := uint32(now >> sinceShift)
	sleepers, described := 0, 0
	// One pass over the greenlets, oldest first (ids not assigned yet
	// follow spawn order), touching each once: at 100,000 greenlets they do
	// not fit in the cache, and a second pass would miss on each again.
	for i, g := range gs {
		gi := &s.Greenlets[i]
		gi.ID = h.idLocked(g)
		gi.Parent = -1
		if p := g.Parent; p != nil && p.hub == h && p.liveIdx != 0 {
			gi.Parent = h.idLocked(p)
		}
		gi.Name, gi.SpawnPCs = "", nil
		if x := g.extra; x != nil {
			gi.Name, gi.SpawnPCs = x.name, x.stack
		}
		gi.Func = nil
		if b, ok := g.body.(bodyFunc); ok {
			gi.Func = b.BodyFunc()
		}
		gi.Wait, gi.obj = WaitInfo{Obj: -1}, nil
		switch {
		case g == h.current:
			gi.State = GRunning
			continue
		case g.co == nil:
			gi.State = GScheduled
			continue
		case !g.parked():
			gi.State = GRunnable
			continue
		}
		gi.State = GParked
		w := &g.wb.w
		gi.Wait.Kind = w.kind
		gi.Wait.For = time.Duration(int64(nowUnits-w.since) << sinceShift)
		switch {
		case w.kind == WaitSleep:
			sleepers++
		case w.kind == WaitJoin:
			// Joins are described here, under h.mu: the target's id.
			t := (*G)(*w.objSlot())
			k, seen := objs[unsafe.Pointer(t)]
			if !seen {
				k = int32(len(s.Objects))
				objs[unsafe.Pointer(t)] = k
				o := ObjInfo{Kind: WaitJoin, Addr: uintptr(unsafe.Pointer(t)), Target: -1}
				if t != nil && t.hub == h && t.liveIdx != 0 {
					o.Target = h.idLocked(t)
				}
				s.wakers = append(s.wakers, o.Target)
				o.Wakers = s.wakers[len(s.wakers)-1 : len(s.wakers) : len(s.wakers)]
				s.Objects = append(s.Objects, o)
			}
			gi.Wait.Obj = k
		case w.kind > WaitJoin:
			if gi.obj = *w.objSlot(); gi.obj != nil {
				described++
			}
		}
	}
	h.mu.Unlock()
	h.tmu.Lock()
	s.Timers = len(h.timers)
	if sleepers > 0 {
		for i := range s.Greenlets {
			if gi := &s.Greenlets[i]; gi.State == GParked && gi.Wait.Kind == WaitSleep {
				if t := &gs[i].wb.t; t.idx > 0 {
					gi.Wait.Deadline = time.Duration(max(0, t.when-now))
				}
			}
		}
	}
	h.tmu.Unlock()
	if described == 0 {
		return
	}
	// The other objects, described once each; the describers take the
	// objects' locks (and may take h.mu), so h.mu is not held.
	for i := range s.Greenlets {
		gi := &s.Greenlets[i]
		if gi.obj == nil {
			continue
		}
		k, seen := objs[gi.obj]
		if !seen {
			k = int32(len(s.Objects))
			objs[gi.obj] = k
			o := ObjInfo{Kind: gi.Wait.Kind, Addr: uintptr(gi.obj), Target: -1}
			d := gi.Wait.Kind.Describe(gi.obj)
			o.Object = d.Object
			// The wakers of every object share one array (a slice of
			// it stays valid when a later append moves it).
			start := len(s.wakers)
			for _, w := range d.Wakers {
				s.wakers = append(s.wakers, h.idOfLive(w))
			}
			if len(s.wakers) > start {
				o.Wakers = s.wakers[start:len(s.wakers):len(s.wakers)]
			}
			s.Objects = append(s.Objects, o)
		}
		gi.Wait.Obj, gi.obj = k, nil
	}
}

// idOfLive returns g's id when it is a live greenlet of h, and -1 otherwise.
func (h *Hub) idOfLive(g *G) int32 {
	if g == nil || g.hub != h {
		return -1
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if g.liveIdx == 0 {
		return -1
	}
	return h.idLocked(g)
}

// FuncPC returns the entry PC of function fn (0 when fn is not one).
func FuncPC(fn any) uintptr {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return 0
	}
	return v.Pointer()
}
