package pool

import (
	"context"
	"iter"
	"reflect"
	"runtime"
	"sync"
	"unsafe"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/core"
)

// Group tracks a set of running greenlets without limiting their number
// (gevent's pool.Group). A greenlet leaves the group by itself when it ends.
// The zero value is an empty group ready to use. A Group must not be copied
// after first use.
//
// All methods are safe to call from any goroutine and from greenlets of any
// hub. Spawn, Add, Discard, Len, Contains and All never wait; Join, Kill and
// KillOne may.
//
// Memory model: the end of a member synchronizes before the return of any
// Join that observes the group empty, and before Len, Contains or All stop
// reporting it.
//
// Cost: a member costs what its greenlet costs (see gevent.Greenlet);
// membership adds nothing measurable (see Pool).
type Group struct {
	mu sync.Mutex // guards every field below

	// head and tail keep the entries in the order they were added (for
	// All, Kill and Join's RaiseError); n counts them.
	head, tail *member
	n          int
	// index maps a Task to its entry. It is built on the first lookup
	// (Contains, Add, Discard, KillOne) and kept from then on: spawning and
	// leaving, the hot path of Map, need no lookup.
	index map[gevent.Task]*member

	// joiners are Join calls waiting for the group to become empty; all of
	// them are woken each time it does.
	joiners core.WaitList

	// lim bounds the group when it belongs to a Pool; its zero value
	// means no bound.
	lim limiter

	// free holds entries of spawned members that have left, for reuse
	// with their cached leave callback (two allocations saved a spawn).
	free []*member
}

// maxFree bounds Group.free.
const maxFree = 256

// member is one greenlet tracked by a Group. g, leaveFn and reused are set
// when the entry is made and never change; every other field is guarded by
// g.mu.
type member struct {
	g *Group
	// leaveFn is m.leave, made once per entry; reused is set for entries
	// of spawned members, which are recycled once their leave has run
	// (or can no longer run).
	leaveFn func()
	reused  bool

	t gevent.Task
	// hook, when set, is told when t ends, with idx: Map and Imap collect
	// their results this way, without a second callback per item. It is
	// set before t starts.
	hook   memberHook
	idx    int
	in     bool // still a member (false once it left or was discarded)
	dying  bool // killed through the group: never killed again by it
	remove func() bool
	// link is the leave callback registered directly on a spawned
	// member's core greenlet (linkedOn): no allocation per member.
	link       core.Link
	linkedOn   *core.G
	prev, next *member
}

// memberHook receives the end of a member spawned by Map or Imap. endedLocked
// runs on the member's hub after the member has left, with the group's lock
// held (one critical section for both); it may take locks ordered after it
// but must not call into the group. owner identifies the Map or Imap call
// (for killing its work).
type memberHook interface {
	endedLocked(t gevent.Task, idx int)
	owner() any
}

// leave is the member's OnReady callback: it runs on the member's hub after
// the member has ended and removes it from the group, unless it already left
// (Discard) or was replaced by a later Add of the same Task. Then it calls
// the hook, whether or not the member had been discarded.
func (m *member) leave() {
	g := m.g
	g.mu.Lock()
	if m.in {
		g.removeLocked(m)
	}
	if m.hook != nil {
		m.hook.endedLocked(m.t, m.idx)
	}
	g.recycleLocked(m) // this was its one callback: m is unreferenced now
	g.mu.Unlock()
}

// insertLocked makes t a member and returns its entry. A reused entry comes
// from the free list and keeps its leave callback.
func (g *Group) insertLocked(t gevent.Task, reused bool) *member {
	var m *member
	if n := len(g.free); reused && n > 0 {
		m = g.free[n-1]
		g.free[n-1] = nil
		g.free = g.free[:n-1]
	} else {
		m = &member{g: g, reused: reused}
		if reused {
			m.leaveFn = m.leave
		}
	}
	m.t, m.in, m.prev = t, true, g.tail
	if g.tail != nil {
		g.tail.next = m
	} else {
		g.head = m
	}
	g.tail = m
	g.n++
	if g.index != nil {
		g.index[t] = m
	}
	return m
}

// lookupLocked returns t's entry, or nil.
func (g *Group) lookupLocked(t gevent.Task) *member {
	if g.index == nil {
		if g.n == 0 {
			return nil
		}
		g.index = make(map[gevent.Task]*member, g.n)
		for m := g.head; m != nil; m = m.next {
			g.index[m.t] = m
		}
	}
	return g.index[t]
}

// recycleLocked puts the entry of a spawned member that has left, and whose
// leave callback has run or never will, on the free list.
func (g *Group) recycleLocked(m *member) {
	if !m.reused || len(g.free) >= maxFree {
		return
	}
	// removeLocked already cleared prev, next and in. Each pointer is
	// cleared only when set: a store of nil still pays a write barrier
	// while the collector runs, and Map recycles an entry per item.
	m.t, m.dying = nil, false
	if m.hook != nil {
		m.hook = nil
	}
	if m.remove != nil {
		m.remove = nil
	}
	if m.linkedOn != nil {
		m.linkedOn = nil
	}
	g.free = append(g.free, m)
}

// removeLocked drops m, gives its slot back (to the first Spawn waiting for
// one, if any) and wakes the joiners when the group becomes empty.
func (g *Group) removeLocked(m *member) {
	g.n--
	if g.index != nil {
		delete(g.index, m.t)
	}
	if m.prev != nil {
		m.prev.next = m.next
	} else {
		g.head = m.next
	}
	if m.next != nil {
		m.next.prev = m.prev
	} else {
		g.tail = m.prev
	}
	m.prev, m.next, m.in = nil, nil, false
	g.lim.releaseLocked()
	if g.n == 0 {
		g.joiners.WakeAll()
	}
}

// Spawn runs fn in a new greenlet on ctx's hub and makes it a member (gevent's
// Group.spawn). It never waits, and its error is always nil for a Group: the
// signature is the one Pool.Spawn needs. ctx must carry a hub (a greenlet's
// context, Run's, or Hub.Context). See the package function Spawn for bodies
// with a typed result.
func (g *Group) Spawn(ctx context.Context, fn func(context.Context) error, opts ...gevent.SpawnOption) (*gevent.Greenlet[struct{}], error) {
	return spawnGo(ctx, g, false, fn, opts)
}

// TrySpawn is Spawn; on a Group it never fails.
func (g *Group) TrySpawn(ctx context.Context, fn func(context.Context) error, opts ...gevent.SpawnOption) (*gevent.Greenlet[struct{}], error) {
	return spawnGo(ctx, g, true, fn, opts)
}

// Add starts tracking t (gevent's Group.add); t leaves the group when it
// ends (at once, or soon after, if it already has). Adding a member again
// does nothing. Add never waits.
func (g *Group) Add(t gevent.Task) { _ = g.add(context.Background(), t, true) }

// link registers m's leave callback. It is called without g.mu held: for a
// task that has already ended on a closed hub, OnReady runs the callback at
// once, in this goroutine.
func (g *Group) link(m *member) {
	remove := m.t.OnReady(m.leave)
	g.mu.Lock()
	if m.in {
		m.remove = remove
	}
	g.mu.Unlock()
}

// Discard stops tracking t without killing it (gevent's Group.discard). A
// Pool gets t's slot back.
func (g *Group) Discard(t gevent.Task) {
	g.mu.Lock()
	m := g.lookupLocked(t)
	if m == nil {
		g.mu.Unlock()
		return
	}
	remove := m.remove
	if on := m.linkedOn; on != nil {
		remove = func() bool { return on.RemoveLink(&m.link) }
	}
	if m.hook != nil {
		remove = nil // the hook still needs to hear of the end
	}
	g.removeLocked(m)
	g.mu.Unlock()
	if remove != nil && remove() {
		// The leave callback will never run: recycle here instead.
		g.mu.Lock()
		g.recycleLocked(m)
		g.mu.Unlock()
	}
}

// Len returns the number of members.
func (g *Group) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

// Contains reports whether t is a member.
func (g *Group) Contains(t gevent.Task) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lookupLocked(t) != nil
}

// All yields the members in the order they were added. It iterates over a
// snapshot taken when the loop starts, so the loop body may spawn, kill or
// wait.
func (g *Group) All() iter.Seq[gevent.Task] {
	return func(yield func(gevent.Task) bool) {
		for _, t := range g.snapshot(false) {
			if !yield(t) {
				return
			}
		}
	}
}

// snapshot returns the members in order; with onlyAlive, those not dead.
func (g *Group) snapshot(onlyAlive bool) []gevent.Task {
	g.mu.Lock()
	defer g.mu.Unlock()
	ts := make([]gevent.Task, 0, g.n)
	for m := g.head; m != nil; m = m.next {
		if !onlyAlive || !m.t.Dead() {
			ts = append(ts, m.t)
		}
	}
	return ts
}

// hooked returns the members, alive or not, whose hook has the given owner.
func (g *Group) hooked(owner any) []gevent.Task {
	g.mu.Lock()
	defer g.mu.Unlock()
	var ts []gevent.Task
	for m := g.head; m != nil; m = m.next {
		if m.hook != nil && m.hook.owner() == owner {
			ts = append(ts, m.t)
		}
	}
	return ts
}

// Full reports whether Spawn would wait; always false for a Group.
func (g *Group) Full() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lim.fullLocked()
}

// WaitAvailable returns how many greenlets can be spawned without waiting:
// math.MaxInt for a Group, at once (gevent's Group.wait_available).
func (g *Group) WaitAvailable(ctx context.Context) (int, error) {
	return g.waitAvailable(ctx)
}

// JoinOption configures Join.
type JoinOption func(*joinConfig)

type joinConfig struct{ raise bool }

// RaiseError makes Join return the error of a member that failed: the first,
// in the order they were added, of those that were members when Join was
// called and have ended with an error other than ErrGreenletExit.
func RaiseError() JoinOption { return func(c *joinConfig) { c.raise = true } }

// Join waits until the group has been empty at least once (gevent's
// Group.join): by the time it returns, new members may have been added.
// It returns nil then, or ctx's cause if ctx ends first. With RaiseError, a
// failure of one of the members it watched is returned instead, even when
// ctx ended first (as gevent's join(raise_error=True) does).
func (g *Group) Join(ctx context.Context, opts ...JoinOption) error {
	if ctx == nil {
		panic("gevent/pool: Join: nil ctx")
	}
	var c joinConfig
	for _, o := range opts {
		o(&c)
	}
	var watched []gevent.Task
	if c.raise {
		watched = g.snapshot(false)
	}
	err := g.waitEmpty(ctx)
	for _, t := range watched {
		if t.Dead() && !t.Successful() {
			return t.Err()
		}
	}
	return err
}

// waitEmpty parks until the group is empty (at once if it is).
func (g *Group) waitEmpty(ctx context.Context) error {
	g.mu.Lock()
	if g.n == 0 {
		g.mu.Unlock()
		return nil
	}
	w, err := core.PrepareOn(ctx, waitGroupJoin, unsafe.Pointer(g))
	if err != nil {
		g.mu.Unlock()
		return err
	}
	g.joiners.PushBack(w)
	g.mu.Unlock()
	err = w.Block(ctx)
	if err != nil {
		g.mu.Lock()
		g.joiners.Remove(w)
		g.mu.Unlock()
	}
	w.Release()
	return err
}

// testHookKill, when set, is called each time the group delivers a kill to a
// member (export_test.go).
var testHookKill func(gevent.Task)

// Kill kills every member (gevent's Group.kill) with ErrGreenletExit or
// gevent.KillError's error, and waits until they have ended and left the
// group, for as long as ctx allows: give a ctx with a deadline
// (gevent.WithTimeout) to bound the wait, one that is already done not to
// wait. It never returns an error: running out of time is not one (as in
// gevent).
//
// Each member is killed through the group at most once, however often Kill
// and KillOne are called: it is marked dying, and a later Kill only waits for
// it. Members added while Kill waits are killed in a further round, and so
// is the member of a Spawn that a freed slot has woken but that has not added
// it yet (a Map feeding the pool): Kill returns only when no such hand-off is
// pending.
func (g *Group) Kill(ctx context.Context, opts ...gevent.KillOption) {
	if ctx == nil {
		panic("gevent/pool: Kill: nil ctx")
	}
	for {
		var fresh, alive []gevent.Task
		g.mu.Lock()
		for m := g.head; m != nil; m = m.next {
			if m.t.Dead() {
				continue // its leave callback is on its way
			}
			alive = append(alive, m.t)
			if !m.dying {
				m.dying = true
				fresh = append(fresh, m.t)
			}
		}
		// A slot handed to a woken Spawn (a Map feeding the pool) whose
		// member is not in yet: that member is part of what is killed.
		handed := g.lim.bounded && g.lim.held > g.n
		g.mu.Unlock()
		if len(alive) == 0 {
			if !handed {
				return
			}
			if gevent.Yield(ctx) != nil {
				return
			}
			if core.Current(ctx) == nil {
				runtime.Gosched() // a plain goroutine: the hub admits it meanwhile
			}
			continue
		}
		for _, t := range fresh {
			g.kill(t, opts)
		}
		// KillAll waits as long as ctx allows. Its own kill of each task is
		// a no-op: every task in alive has already been cancelled, and the
		// first cause of a cancellation is the one that sticks.
		if err := gevent.KillAll(ctx, alive, opts...); err != nil {
			return
		}
		// A done ctx means no wait (gevent's block=False): members killed
		// before they started are dead now but leave at the next switch.
		if ctx.Err() != nil {
			return
		}
		settle(ctx, alive)
	}
}

// KillOne kills t if it is a member that the group has not killed yet
// (gevent's Group.killone); otherwise it does nothing and does not wait.
// Like gevent.Greenlet.Kill, it then waits until t has ended and left the
// group, for as long as ctx allows.
func (g *Group) KillOne(ctx context.Context, t gevent.Task, opts ...gevent.KillOption) {
	if ctx == nil {
		panic("gevent/pool: KillOne: nil ctx")
	}
	if nilTask(t) {
		panic("gevent/pool: KillOne: nil t")
	}
	g.mu.Lock()
	m := g.lookupLocked(t)
	if m == nil || m.dying {
		g.mu.Unlock()
		return
	}
	m.dying = true
	g.mu.Unlock()
	g.kill(t, opts)
	t.Kill(ctx, opts...) // a no-op kill (see Kill), then the wait
	// A done ctx means no wait, as in Kill.
	if t.Dead() && ctx.Err() == nil {
		settle(ctx, []gevent.Task{t})
	}
}

// nilTask reports whether t is nil or holds a nil *gevent.Greenlet (only
// greenlets implement Task, and every one is a pointer).
func nilTask(t gevent.Task) bool {
	if t == nil {
		return true
	}
	v := reflect.ValueOf(t)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func (g *Group) kill(t gevent.Task, opts []gevent.KillOption) {
	if testHookKill != nil {
		testHookKill(t)
	}
	// Kill without waiting or switching (a context without a greenlet):
	// the caller decides how to wait.
	gevent.Kill(context.Background(), t, opts...)
}

// settle waits until the OnReady callbacks already registered on the dead
// tasks have run, so that they have left their groups: a task's callbacks
// run in registration order, and Wait registers its own after theirs. A
// greenlet's Join returns as soon as it is dead, which can be before then.
// The wait cannot block for long (the tasks are dead), so it ignores ctx's
// cancellation.
func settle(ctx context.Context, dead []gevent.Task) {
	objs := make([]gevent.Waitable, len(dead))
	for i, t := range dead {
		objs[i] = t
	}
	_, _ = gevent.Wait(context.WithoutCancel(ctx), objs)
}
