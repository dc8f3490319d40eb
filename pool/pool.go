package pool

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"unsafe"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/core"
)

// ErrPoolFull is returned by TrySpawn and TryAdd when the pool has no free
// slot (gevent's PoolFull), and by every spawn on a pool of size 0, which can
// never admit a greenlet.
var ErrPoolFull = errors.New("gevent/pool: pool is full")

// errSizeZero is ErrPoolFull for a pool that can never have a free slot.
var errSizeZero = fmt.Errorf("%w (its size is 0: it can never spawn)", ErrPoolFull)

// Pool is a Group with a bound on the number of members (gevent's
// pool.Pool). Spawn waits (parks the calling greenlet) while the pool is
// full; TrySpawn fails with ErrPoolFull instead. Each member holds a slot
// from the moment it is admitted until it ends or is discarded; a freed slot
// goes to the longest-waiting Spawn first.
//
// Create bounded pools with NewPool. The zero value is a pool without a
// bound (gevent's Pool(None)), which behaves like a Group. A Pool must not
// be copied after first use. All methods are safe to call from any goroutine
// and from greenlets of any hub.
//
// Memory model: the end (or Discard) of a member synchronizes before the
// return of the Spawn, Add or WaitAvailable that its freed slot unblocks.
//
// Cost: a member costs what its greenlet costs (see gevent.Greenlet); the
// slot and the membership add nothing measurable. Map runs about 0.26 to
// 0.35 µs per item through a Pool of 100 at GOMAXPROCS=1 (one allocation
// of about 220 bytes an item), about 0.85 times raw Go's goroutine per
// item behind a semaphore channel, and over 40 times faster than gevent's
// Pool.map (the pool_map row of docs/benchmarks.md in the repository, with
// errgroup, conc, ants and pond beside it).
type Pool struct {
	g Group
}

// NewPool returns a pool admitting at most n members at once. n < 0 panics.
// A pool of size 0 can never spawn: its Spawn and TrySpawn fail at once with
// ErrPoolFull rather than waiting forever.
func NewPool(n int) *Pool {
	if n < 0 {
		panic(fmt.Sprintf("gevent/pool: NewPool with a negative size %d", n))
	}
	p := &Pool{}
	p.g.lim = limiter{bounded: true, size: n}
	return p
}

// Spawn runs fn in a new greenlet that is a member of the pool, waiting for
// a free slot first while the pool is full (gevent's Pool.spawn). It returns
// ctx's cause if ctx ends while it waits (the greenlet then never runs), and
// ErrPoolFull at once for a pool of size 0. A free slot is taken even when
// ctx is already cancelled (gevent's rule: a call that need not wait does
// not look at its timeout; x/sync's semaphore does the opposite). ctx must
// carry a hub; it also gives the new greenlet its values. See the package
// function Spawn for bodies with a typed result.
func (p *Pool) Spawn(ctx context.Context, fn func(context.Context) error, opts ...gevent.SpawnOption) (*gevent.Greenlet[struct{}], error) {
	return spawnGo(ctx, &p.g, false, fn, opts)
}

// TrySpawn is Spawn without waiting: it fails with ErrPoolFull when the pool
// is full.
func (p *Pool) TrySpawn(ctx context.Context, fn func(context.Context) error, opts ...gevent.SpawnOption) (*gevent.Greenlet[struct{}], error) {
	return spawnGo(ctx, &p.g, true, fn, opts)
}

// Add starts tracking t, waiting for a free slot first while the pool is
// full (gevent's Pool.add). It returns ctx's cause if ctx ends first, and
// ErrPoolFull at once for a pool of size 0. A free slot is taken even when
// ctx is already cancelled, as by Spawn. Adding a member again does
// nothing. t should not have started yet: a greenlet that runs while Add
// waits is not counted against the bound (as in gevent).
func (p *Pool) Add(ctx context.Context, t gevent.Task) error { return p.g.add(ctx, t, false) }

// TryAdd is Add without waiting: it fails with ErrPoolFull when the pool is
// full.
func (p *Pool) TryAdd(t gevent.Task) error { return p.g.add(context.Background(), t, true) }

// Discard stops tracking t without killing it and frees its slot.
func (p *Pool) Discard(t gevent.Task) { p.g.Discard(t) }

// Len returns the number of members.
func (p *Pool) Len() int { return p.g.Len() }

// Contains reports whether t is a member.
func (p *Pool) Contains(t gevent.Task) bool { return p.g.Contains(t) }

// All yields the members in the order they were admitted; see Group.All.
func (p *Pool) All() iter.Seq[gevent.Task] { return p.g.All() }

// Join waits until the pool has been empty at least once; see Group.Join.
func (p *Pool) Join(ctx context.Context, opts ...JoinOption) error { return p.g.Join(ctx, opts...) }

// Kill kills every member, each at most once; see Group.Kill.
func (p *Pool) Kill(ctx context.Context, opts ...gevent.KillOption) { p.g.Kill(ctx, opts...) }

// KillOne kills t if it is a member not killed yet; see Group.KillOne.
func (p *Pool) KillOne(ctx context.Context, t gevent.Task, opts ...gevent.KillOption) {
	p.g.KillOne(ctx, t, opts...)
}

// Full reports whether Spawn would wait now.
func (p *Pool) Full() bool { return p.g.Full() }

// FreeCount returns how many greenlets could be spawned now without waiting
// (math.MaxInt for an unbounded pool). Other goroutines may change it at any
// moment.
func (p *Pool) FreeCount() int {
	p.g.mu.Lock()
	defer p.g.mu.Unlock()
	return p.g.lim.freeLocked()
}

// WaitAvailable waits until the pool has a free slot, without taking it, and
// returns FreeCount (gevent's Pool.wait_available). When ctx ends first it
// returns FreeCount and ctx's cause. For a pool of size 0 it returns 0 and
// ErrPoolFull at once instead of waiting for ever. Another caller may take
// the slot before this caller uses it.
func (p *Pool) WaitAvailable(ctx context.Context) (int, error) { return p.g.waitAvailable(ctx) }

func (p *Pool) group() *Group { return &p.g }

// acquire takes a slot, waiting for one (with g.mu released) unless try. On
// success it returns with g.mu held; on failure, without.
func (g *Group) acquire(ctx context.Context, try bool) error {
	g.mu.Lock()
	l := &g.lim
	if !l.fullLocked() {
		l.takeLocked()
		return nil
	}
	if l.size == 0 {
		g.mu.Unlock()
		return errSizeZero
	}
	if try {
		g.mu.Unlock()
		return ErrPoolFull
	}
	return g.acquireSlow(ctx)
}

// acquireSlow parks the caller until a releasing member hands it a slot.
// Outlined so that the fast path of acquire stays small.
func (g *Group) acquireSlow(ctx context.Context) error {
	l := &g.lim
	w, err := core.PrepareOn(ctx, waitPoolSlot, unsafe.Pointer(g))
	if err != nil {
		g.mu.Unlock()
		return err
	}
	l.slotWaiters.PushBack(w)
	g.mu.Unlock()
	err = w.Block(ctx)
	if err != nil {
		// The wait failed, so no slot was handed to w: Wake and Cancel
		// race through one compare-and-swap. Remove is false when a
		// releaser already popped w and moved on.
		g.mu.Lock()
		l.slotWaiters.Remove(w)
		g.mu.Unlock()
		w.Release()
		return err
	}
	w.Release()
	g.mu.Lock() // the releaser left held unchanged: the slot is ours
	return nil
}

// add makes t a member, taking a slot first.
func (g *Group) add(ctx context.Context, t gevent.Task, try bool) error {
	if ctx == nil {
		panic("gevent/pool: Add: nil ctx")
	}
	if nilTask(t) {
		panic("gevent/pool: Add: nil t")
	}
	if g.Contains(t) {
		return nil
	}
	if err := g.acquire(ctx, try); err != nil {
		return err
	}
	if g.lookupLocked(t) != nil { // added by someone else while we waited
		g.lim.releaseLocked()
		g.mu.Unlock()
		return nil
	}
	m := g.insertLocked(t, false)
	g.mu.Unlock()
	g.link(m)
	return nil
}

// waitAvailable implements WaitAvailable for Group and Pool.
func (g *Group) waitAvailable(ctx context.Context) (int, error) {
	if ctx == nil {
		panic("gevent/pool: WaitAvailable: nil ctx")
	}
	g.mu.Lock()
	l := &g.lim
	if l.bounded && l.size == 0 {
		g.mu.Unlock()
		return 0, errSizeZero
	}
	for {
		if n := l.freeLocked(); n > 0 {
			g.mu.Unlock()
			return n, nil
		}
		w, err := core.PrepareOn(ctx, waitPoolAvailable, unsafe.Pointer(g))
		if err != nil {
			g.mu.Unlock()
			return 0, err
		}
		l.availWaiters.PushBack(w)
		g.mu.Unlock()
		err = w.Block(ctx)
		g.mu.Lock()
		if err != nil {
			l.availWaiters.Remove(w)
			n := l.freeLocked()
			g.mu.Unlock()
			w.Release()
			return n, err
		}
		w.Release()
	}
}
