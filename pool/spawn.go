package pool

import (
	"context"
	"iter"
	"slices"
	"unsafe"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/core"
)

// Spawner is a *Group or a *Pool: what Spawn, Apply, Map and the Imap
// functions run their work in. Its methods are those a server needs from
// the spawner of its handlers. It cannot be implemented outside this
// package.
type Spawner interface {
	// Spawn runs fn in a new member, waiting for a slot of a full Pool
	// (Group.Spawn, Pool.Spawn).
	Spawn(ctx context.Context, fn func(context.Context) error, opts ...gevent.SpawnOption) (*gevent.Greenlet[struct{}], error)
	// TrySpawn is Spawn without waiting (Group.TrySpawn, Pool.TrySpawn).
	TrySpawn(ctx context.Context, fn func(context.Context) error, opts ...gevent.SpawnOption) (*gevent.Greenlet[struct{}], error)
	// Full reports whether a Spawn would wait (always false for a Group).
	Full() bool
	// WaitAvailable waits until a Spawn would not wait, and returns the
	// free slots then, math.MaxInt for a Group (Group.WaitAvailable,
	// Pool.WaitAvailable).
	WaitAvailable(ctx context.Context) (int, error)
	group() *Group
}

func (g *Group) group() *Group { return g }

var (
	_ Spawner = (*Group)(nil)
	_ Spawner = (*Pool)(nil)
)

// Spawn runs fn in a new greenlet that is a member of s and returns its typed
// handle (gevent's Group.spawn and Pool.spawn). On a full Pool it first waits
// for a slot; it returns ctx's cause if ctx ends while it waits (fn then
// never runs) and ErrPoolFull at once for a pool of size 0. A free slot is
// taken even when ctx is already cancelled (gevent's rule: a call that need
// not wait does not look at its timeout; x/sync's semaphore does the
// opposite). ctx must carry a
// hub (a greenlet's context, Run's, or Hub.Context); the greenlet runs there.
//
// Go methods cannot have type parameters, so the typed form is this function
// and the Spawn methods take a body without a result.
func Spawn[T any](ctx context.Context, s Spawner, fn func(context.Context) (T, error), opts ...gevent.SpawnOption) (*gevent.Greenlet[T], error) {
	checkSpawner(s, "Spawn")
	return spawn(ctx, s.group(), false, fn, opts, nil, 0)
}

// TrySpawn is Spawn without waiting: it fails with ErrPoolFull when s is a
// full Pool.
func TrySpawn[T any](ctx context.Context, s Spawner, fn func(context.Context) (T, error), opts ...gevent.SpawnOption) (*gevent.Greenlet[T], error) {
	checkSpawner(s, "TrySpawn")
	return spawn(ctx, s.group(), true, fn, opts, nil, 0)
}

// spawn creates the greenlet first and takes a slot second, as gevent does,
// so that a wait for a slot holds no half-made member. hook and idx are
// recorded in the member (see memberHook).
func spawn[T any](ctx context.Context, g *Group, try bool, fn func(context.Context) (T, error), opts []gevent.SpawnOption, hook memberHook, idx int) (*gevent.Greenlet[T], error) {
	checkSpawn(ctx, fn == nil)
	return admit(ctx, g, try, gevent.New(ctx, fn, opts...), hook, idx)
}

// spawnGo is spawn for the Spawn methods' error-only body: the greenlet is
// gevent.Go's (one allocation, and reports name fn, not an adapter).
func spawnGo(ctx context.Context, g *Group, try bool, fn func(context.Context) error, opts []gevent.SpawnOption) (*gevent.Greenlet[struct{}], error) {
	checkSpawn(ctx, fn == nil)
	return admit(ctx, g, try, gevent.NewGo(ctx, fn, opts...), nil, 0)
}

// checkSpawn panics on the arguments a spawn cannot use.
func checkSpawn(ctx context.Context, nilFn bool) {
	if ctx == nil {
		panic("gevent/pool: Spawn: nil ctx")
	}
	if nilFn {
		panic("gevent/pool: Spawn: nil fn")
	}
	core.MustHub(ctx, "gevent/pool: Spawn")
}

// admit takes a slot for gl, which has not started, makes it a member and
// starts it.
func admit[T any](ctx context.Context, g *Group, try bool, gl *gevent.Greenlet[T], hook memberHook, idx int) (*gevent.Greenlet[T], error) {
	if err := g.acquire(ctx, try); err != nil {
		return nil, err
	}
	g.admitLocked(gl, hook, idx)
	g.mu.Unlock()
	gl.Start()
	return gl, nil
}

// admitLocked makes gl, which holds a slot and has not started, a member.
func (g *Group) admitLocked(gl gevent.Task, hook memberHook, idx int) {
	m := g.insertLocked(gl, true)
	if hook != nil { // nil already on a fresh or recycled entry
		m.hook = hook
	}
	m.idx = idx
	// Registering under g.mu is safe here, unlike in Add: gl has not
	// started, so OnReady cannot run the callback now. A recycled entry
	// keeps its callback (no store, no write barrier).
	if m.link.Fn == nil {
		m.link.Fn = m.leaveFn
		m.link.Internal = true // leave: the group's bookkeeping
	}
	m.linkedOn = core.TaskG(gl)
	m.linkedOn.AddLink(&m.link)
}

// checkSpawner panics when s is nil; what names the function.
func checkSpawner(s Spawner, what string) {
	if s == nil {
		panic("gevent/pool: " + what + ": nil s")
	}
}

// isMember reports whether the caller is a member of g: the greenlet
// running on ctx's hub (gevent's getcurrent) when ctx is a greenlet's.
func isMember(ctx context.Context, g *Group) bool {
	t := gevent.Current(ctx)
	return t != nil && g.Contains(t)
}

// Apply runs fn in s and waits for its result (gevent's apply). When the
// caller is itself a member of s (the greenlet running on ctx's hub, as
// gevent's getcurrent), fn runs synchronously in the caller instead: waiting for a slot
// of a full pool while holding one could deadlock. Otherwise fn runs in a new
// member (see Spawn); if ctx ends before it has finished, that member is
// killed (without waiting) and Apply returns ctx's cause.
func Apply[T any](ctx context.Context, s Spawner, fn func(context.Context) (T, error)) (T, error) {
	if ctx == nil {
		panic("gevent/pool: Apply: nil ctx")
	}
	checkSpawner(s, "Apply")
	if fn == nil {
		panic("gevent/pool: Apply: nil fn")
	}
	if isMember(ctx, s.group()) {
		return fn(ctx)
	}
	gl, err := Spawn(ctx, s, fn)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := gl.Get(ctx)
	if err != nil && !gl.Dead() {
		gevent.Kill(context.Background(), gl) // no context of a greenlet: no switch
	}
	return v, err
}

// ApplyAsync starts fn and returns its greenlet without ever waiting
// (gevent's apply_async). When s has a free slot, fn runs in a new member.
// When s is a full Pool, the returned greenlet runs outside the pool and
// calls Apply, which waits there for a slot, so fn still runs in a member
// (killing the returned greenlet kills that member); on a pool of size 0 it
// fails with ErrPoolFull. Join the returned greenlet, not the pool, to wait
// for the result.
func ApplyAsync[T any](ctx context.Context, s Spawner, fn func(context.Context) (T, error), opts ...gevent.SpawnOption) *gevent.Greenlet[T] {
	if ctx == nil {
		panic("gevent/pool: ApplyAsync: nil ctx")
	}
	checkSpawner(s, "ApplyAsync")
	if fn == nil {
		panic("gevent/pool: ApplyAsync: nil fn")
	}
	if gl, err := TrySpawn(ctx, s, fn, opts...); err == nil {
		return gl
	}
	return gevent.Spawn(ctx, func(ctx context.Context) (T, error) {
		return Apply(ctx, s, fn)
	}, opts...)
}

// Map runs fn on every item in a member of s, one greenlet per item (at most
// the pool's size at once), and returns the results in input order with the
// first error in input order (gevent's map). It waits for every item to end,
// so results holds every item that succeeded even when err is not nil.
//
// The calling goroutine or greenlet takes the items and spawns the work,
// waiting while the pool is full. If ctx ends first, or a spawn fails (a pool
// of size 0), Map kills the work it started, waits for it to end and returns
// that error with no results. If items panics, Map kills and waits for the
// work too, and the panic goes on.
//
// It costs about 0.26 to 0.35 µs per item at GOMAXPROCS=1 through a Pool of
// 100, a little less than a raw goroutine per item (see Pool).
func Map[In, Out any](ctx context.Context, s Spawner, items iter.Seq[In], fn func(context.Context, In) (Out, error)) (results []Out, err error) {
	if ctx == nil {
		panic("gevent/pool: Map: nil ctx")
	}
	checkSpawner(s, "Map")
	if items == nil {
		panic("gevent/pool: Map: nil items")
	}
	if fn == nil {
		panic("gevent/pool: Map: nil fn")
	}
	g := s.group()
	st := &mapRun[In, Out]{g: g, fn: fn, firstErrAt: -1}
	spawned := false
	defer func() {
		if !spawned { // items panicked: stop the work before the panic goes on
			st.abort(ctx, g)
		}
	}()
	core.MustHub(ctx, "gevent/pool: Map")
	for item := range items {
		// One critical section per item: take a slot, count the item,
		// make its greenlet and admit it. (gevent.New runs no user code
		// but ctx's Value methods, which have no business with the group.)
		if err := g.acquire(ctx, false); err != nil {
			spawned = true
			st.abort(ctx, g)
			return nil, err
		}
		idx := len(st.results)
		it := st.newItemLocked(item)
		gl := gevent.New(ctx, it.call)
		g.admitLocked(gl, it, idx)
		g.mu.Unlock()
		gl.Start()
		schedPoint(idx)
	}
	spawned = true
	if err := st.wait(ctx); err != nil {
		st.abort(ctx, g)
		return nil, err
	}
	// Every end hook has run: st is no longer shared.
	return st.results, st.firstErr
}

// mapRun collects the results of one Map call from the end hooks of its
// items, which run on the items' hubs.
type mapRun[In, Out any] struct {
	g  *Group
	fn func(context.Context, In) (Out, error)

	// The fields below are guarded by g.mu: the end hook runs under it.
	results     []Out // by input index; grown by the caller
	firstErr    error // the error of the lowest failed index
	firstErrAt  int
	outstanding int          // items spawned and not ended
	w           *core.Waiter // the caller, parked until outstanding is 0
	// free holds items whose greenlet has ended, for reuse with their
	// cached body (one allocation saved an item).
	free []*mapItem[In, Out]
}

// mapItem is one item's body and member hook.
type mapItem[In, Out any] struct {
	st   *mapRun[In, Out]
	in   In
	call func(context.Context) (Out, error) // it.run, made once
}

func (it *mapItem[In, Out]) run(ctx context.Context) (Out, error) { return it.st.fn(ctx, it.in) }

func (it *mapItem[In, Out]) owner() any { return it.st }

// newItemLocked counts the next item and returns its (maybe recycled)
// mapItem.
func (st *mapRun[In, Out]) newItemLocked(in In) *mapItem[In, Out] {
	if len(st.results) == cap(st.results) {
		// Double: append grows a large slice by a quarter, which for
		// 100k results leaves about four times their size as garbage
		// (40 B an item of int, a sixth of Map's allocation, hence of
		// its collections); doubling leaves at most their size.
		st.results = slices.Grow(st.results, max(len(st.results), 16))
	}
	var zero Out
	st.results = append(st.results, zero)
	st.outstanding++
	var it *mapItem[In, Out]
	if n := len(st.free); n > 0 {
		it = st.free[n-1]
		st.free = st.free[:n-1]
	}
	if it == nil {
		it = &mapItem[In, Out]{st: st}
		it.call = it.run
	}
	it.in = in
	return it
}

// endedLocked records item idx's result and recycles it: its greenlet has
// ended, so nothing runs it.call again. The group's lock is held.
func (it *mapItem[In, Out]) endedLocked(t gevent.Task, idx int) {
	st := it.st
	gl := t.(*gevent.Greenlet[Out])
	v, err := gl.Value(), gl.Err()
	var zero In
	it.in = zero
	st.results[idx] = v
	if err != nil && (st.firstErrAt < 0 || idx < st.firstErrAt) {
		st.firstErr, st.firstErrAt = err, idx
	}
	if len(st.free) < maxFree {
		st.free = append(st.free, it)
	}
	st.outstanding--
	if st.outstanding == 0 && st.w != nil {
		st.w.Wake()
		st.w = nil
	}
}

// wait parks the caller until every item has ended.
func (st *mapRun[In, Out]) wait(ctx context.Context) error {
	mu := &st.g.mu
	mu.Lock()
	defer mu.Unlock()
	for st.outstanding > 0 {
		w, err := core.PrepareOn(ctx, waitPoolMap, unsafe.Pointer(st.g))
		if err != nil {
			return err
		}
		st.w = w
		mu.Unlock()
		err = w.Block(ctx)
		mu.Lock()
		if st.w == w {
			st.w = nil
		}
		w.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// abort kills the items still running and waits until all have ended,
// ignoring ctx's cancellation: leaving work running behind the caller's
// back is the leak this avoids.
func (st *mapRun[In, Out]) abort(ctx context.Context, g *Group) {
	ctx = context.WithoutCancel(ctx)
	if ts := g.hooked(st); len(ts) > 0 {
		_ = gevent.KillAll(ctx, ts)
	}
	_ = st.wait(ctx)
}
