package pool

import (
	"context"
	"iter"
	"sync"
	"unsafe"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/core"
)

// MapOption configures Imap and ImapUnordered.
type MapOption func(*mapConfig)

type mapConfig struct{ maxSize int }

// MaxSize bounds the results that may pile up unread (gevent's maxsize): an
// item is started only while fewer than n started items have not yet been
// handed to the loop body. n <= 0 means no bound (the default), in which
// case results of a slow loop body accumulate in memory.
func MaxSize(n int) MapOption { return func(c *mapConfig) { c.maxSize = n } }

// Imap runs fn on every item in a member of s, one greenlet per item, and
// yields the results in input order (gevent's imap). An item that failed
// yields its error at its position, and iteration goes on past it. If items
// panics, the sequence ends with that error (a *gevent.PanicError) after the
// results of the items taken before.
//
// Nothing runs until the loop starts. Then a producer greenlet, outside s, on
// ctx's hub, takes the items and spawns the work, waiting while s is full
// (and for MaxSize). The loop body runs in the caller, which parks between
// results. If ctx ends while the caller waits for a result, the last pair
// yielded is (zero, ctx's cause).
//
// When the loop ends early (break, return, or ctx's end), the work still
// running is killed and waited for, its unread results are dropped, and the
// producer is killed; it spawns nothing more and ends the next time it runs
// (at once if it is waiting for a slot, otherwise when items next yields or
// returns).
func Imap[In, Out any](ctx context.Context, s Spawner, items iter.Seq[In], fn func(context.Context, In) (Out, error), opts ...MapOption) iter.Seq2[Out, error] {
	return imapSeq(ctx, s, items, fn, true, opts)
}

// ImapUnordered is Imap yielding the results in the order the work finished
// (gevent's imap_unordered). It keeps less state than Imap.
func ImapUnordered[In, Out any](ctx context.Context, s Spawner, items iter.Seq[In], fn func(context.Context, In) (Out, error), opts ...MapOption) iter.Seq2[Out, error] {
	return imapSeq(ctx, s, items, fn, false, opts)
}

func imapSeq[In, Out any](ctx context.Context, s Spawner, items iter.Seq[In], fn func(context.Context, In) (Out, error), ordered bool, opts []MapOption) iter.Seq2[Out, error] {
	what := "ImapUnordered"
	if ordered {
		what = "Imap"
	}
	if ctx == nil {
		panic("gevent/pool: " + what + ": nil ctx")
	}
	checkSpawner(s, what)
	if items == nil {
		panic("gevent/pool: " + what + ": nil items")
	}
	if fn == nil {
		panic("gevent/pool: " + what + ": nil fn")
	}
	var c mapConfig
	for _, o := range opts {
		o(&c)
	}
	g := s.group()
	return func(yield func(Out, error) bool) {
		if err := core.Cause(ctx); err != nil {
			var zero Out
			yield(zero, err)
			return
		}
		st := &imap[In, Out]{
			g: g, items: items, fn: fn, ordered: ordered, maxSize: c.maxSize,
		}
		if ordered {
			st.pending = make(map[int]result[Out])
		}
		prod := gevent.Go(ctx, st.produce)
		prod.OnReady(func() { st.producerEnded(prod) })
		defer st.stop(ctx, prod)
		for {
			r, ok, err := st.next(ctx)
			if err != nil {
				var zero Out
				yield(zero, err)
				return
			}
			if !ok || !yield(r.v, r.err) {
				return
			}
		}
	}
}

type result[Out any] struct {
	v   Out
	err error
}

// imap is the state shared by one Imap loop (the consumer), its producer
// greenlet and the OnReady callbacks of its work.
type imap[In, Out any] struct {
	// Set before the producer starts, then read-only.
	g       *Group
	items   iter.Seq[In]
	fn      func(context.Context, In) (Out, error)
	ordered bool
	maxSize int

	mu sync.Mutex // guards every field below
	// Finished, unread results: in completion order (done, from dhead)
	// or by input index (pending).
	done    []result[Out]
	dhead   int
	pending map[int]result[Out]
	// started counts the items spawned; handed counts results handed to
	// the loop body (for Imap also the index of the next one).
	started, handed int
	// prodDone is set when the producer has ended, with its error.
	prodDone bool
	prodErr  error
	reported bool // prodErr has been handed over
	stopped  bool // the loop has ended: spawn nothing more
	// consumer and producer are the parked loop and the producer waiting
	// for MaxSize, if any. Each is woken under mu and cleared by whoever
	// wakes it, so a waiter that gave up is never woken later.
	consumer, producer *core.Waiter
}

// produce is the producer greenlet's body.
func (st *imap[In, Out]) produce(ctx context.Context) error {
	for item := range st.items {
		if err := st.waitCredit(ctx); err != nil {
			return err
		}
		// Count the item before spawning it: its end, reported by ended,
		// must never be seen before it was counted.
		st.mu.Lock()
		i := st.started
		st.started++
		st.mu.Unlock()
		gl, err := spawn(ctx, st.g, false, func(ctx context.Context) (Out, error) {
			return st.fn(ctx, item)
		}, nil, st, i)
		if err != nil {
			st.mu.Lock()
			st.started--
			st.mu.Unlock()
			return err
		}
		schedPoint(i)
		st.mu.Lock()
		stopped := st.stopped
		st.mu.Unlock()
		if stopped {
			// The loop ended while we spawned, perhaps after stop looked
			// for work to kill: gl has not run yet (it is queued behind
			// us on our hub), so this kill means it never will.
			gevent.Kill(context.Background(), gl) // no switch: kill only
			return core.Cause(ctx)
		}
	}
	return nil
}

// waitCredit parks the producer while MaxSize started items are unread.
func (st *imap[In, Out]) waitCredit(ctx context.Context) error {
	if err := core.Cause(ctx); err != nil {
		return err // killed by stop: take no more items
	}
	if st.maxSize <= 0 {
		return nil
	}
	st.mu.Lock()
	for st.started-st.handed >= st.maxSize {
		w, err := core.PrepareOn(ctx, waitPoolIMapCredit, unsafe.Pointer(st.g))
		if err != nil {
			st.mu.Unlock()
			return err
		}
		st.producer = w
		st.mu.Unlock()
		err = w.Block(ctx)
		st.mu.Lock()
		if st.producer == w {
			st.producer = nil
		}
		w.Release()
		if err != nil {
			st.mu.Unlock()
			return err
		}
	}
	st.mu.Unlock()
	return nil
}

func (st *imap[In, Out]) owner() any { return st }

// endedLocked records the result of item i; it runs on the item's hub, with
// the group's lock held (which is ordered before st.mu).
func (st *imap[In, Out]) endedLocked(t gevent.Task, i int) {
	gl := t.(*gevent.Greenlet[Out])
	v, err := gl.Value(), gl.Err()
	st.mu.Lock()
	if st.stopped {
		st.mu.Unlock()
		return // the loop has ended: nobody will read it
	}
	if st.ordered {
		st.pending[i] = result[Out]{v, err}
	} else {
		st.done = append(st.done, result[Out]{v, err})
	}
	st.wakeLocked(&st.consumer)
	st.mu.Unlock()
}

func (st *imap[In, Out]) producerEnded(prod *gevent.Greenlet[struct{}]) {
	st.mu.Lock()
	st.prodDone = true
	st.prodErr = prod.Err()
	st.wakeLocked(&st.consumer)
	st.mu.Unlock()
}

func (st *imap[In, Out]) wakeLocked(w **core.Waiter) {
	if *w != nil {
		(*w).Wake()
		*w = nil
	}
}

// next waits for the next result; ok is false when there are no more.
func (st *imap[In, Out]) next(ctx context.Context) (r result[Out], ok bool, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for {
		if st.takeLocked(&r) {
			st.handed++
			st.wakeLocked(&st.producer)
			return r, true, nil
		}
		if st.prodDone && st.handed == st.started {
			if st.prodErr != nil && !st.reported {
				st.reported = true
				return result[Out]{err: st.prodErr}, true, nil
			}
			return r, false, nil
		}
		w, err := core.PrepareOn(ctx, waitPoolIMap, unsafe.Pointer(st.g))
		if err != nil {
			return r, false, err
		}
		st.consumer = w
		st.mu.Unlock()
		err = w.Block(ctx)
		st.mu.Lock()
		if st.consumer == w {
			st.consumer = nil
		}
		w.Release()
		if err != nil {
			return r, false, err
		}
	}
}

// takeLocked pops the next result to hand over, if it has arrived.
func (st *imap[In, Out]) takeLocked(r *result[Out]) bool {
	if st.ordered {
		v, ok := st.pending[st.handed]
		if ok {
			delete(st.pending, st.handed)
			*r = v
		}
		return ok
	}
	if st.dhead == len(st.done) {
		return false
	}
	*r = st.done[st.dhead]
	st.done[st.dhead] = result[Out]{}
	st.dhead++
	if st.dhead == len(st.done) {
		st.done, st.dhead = st.done[:0], 0
	}
	return true
}

// stop ends the loop's work: the producer is killed without waiting (it may
// be blocked inside items, which this package does not control) and spawns
// nothing more; the work still running is killed and waited for, until it
// has left the pool.
func (st *imap[In, Out]) stop(ctx context.Context, prod *gevent.Greenlet[struct{}]) {
	st.mu.Lock()
	st.stopped = true
	st.done, st.pending = nil, nil
	st.mu.Unlock()
	gevent.Kill(context.Background(), prod) // no switch: kill only
	// Every member is settled, the dead ones too: one that ended a moment
	// ago (its context is ctx's child, so ctx's end killed it) may not have
	// left the pool yet.
	ts := st.g.hooked(st)
	if len(ts) > 0 {
		_ = gevent.KillAll(context.WithoutCancel(ctx), ts)
		settle(ctx, ts)
	}
}
