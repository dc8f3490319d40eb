package gevent

import (
	"cmp"
	"context"
	"iter"
	"slices"
	"sync"

	"github.com/gevent-go/gevent/internal/core"
)

// Waitable is anything Wait, Iwait and JoinAll can wait for: greenlets,
// event.Event, event.AsyncResult, lock.Semaphore, or a value of your own
// (gevent's rawlink protocol).
type Waitable interface {
	// Ready reports whether the object is ready now.
	Ready() bool
	// OnReady arranges for f to be called once, without blocking, after
	// the object becomes ready (at once, or soon, if it already is), on
	// whichever goroutine or hub makes it ready. remove cancels that and
	// reports whether f was still pending.
	OnReady(f func()) (remove func() bool)
}

// Task is the untyped view of a *Greenlet[T] of any T, for collections of
// mixed greenlets (JoinAll, KillAll, pool.Group). Only greenlets implement it.
type Task interface {
	Waitable
	Name() string
	ID() int
	String() string
	Dead() bool
	Alive() bool
	Successful() bool
	Err() error
	Join(ctx context.Context) error
	Kill(ctx context.Context, opts ...KillOption)
	core() *core.G
}

// Kill kills t without waiting (gevent.kill): see Greenlet.Kill. Only
// KillError applies.
func Kill(t Task, opts ...KillOption) {
	c := killOptions(opts)
	t.core().Kill(c.err)
}

// KillAll kills every task (those not started first, without running them,
// then the others in order) and, unless KillNoWait is given, waits until all
// have ended. Unlike Greenlet.Kill, running out of time is an error here: it
// returns the KillTimeout's *Timeout or ctx's cause (gevent's killall
// propagates its Timeout).
func KillAll(ctx context.Context, tasks []Task, opts ...KillOption) error {
	c := killOptions(opts)
	for _, t := range tasks {
		if g := t.core(); g.State() != core.StateRunning {
			g.Kill(c.err)
		}
	}
	for _, t := range tasks {
		t.core().Kill(c.err)
	}
	if c.noWait {
		return nil
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	for _, t := range tasks {
		if err := t.core().Join(ctx); err != nil {
			return err
		}
	}
	return nil
}

// JoinOption configures JoinAll.
type JoinOption func(*joinConfig)

type joinConfig struct {
	raise bool
	count int
}

// RaiseError makes JoinAll return the error of the first task to fail (in
// the order they end, not their order in the list). Tasks ended by
// ErrGreenletExit have not failed.
func RaiseError() JoinOption { return func(c *joinConfig) { c.raise = true } }

// Count makes JoinAll return once n tasks have ended.
func Count(n int) JoinOption { return func(c *joinConfig) { c.count = n } }

// JoinAll waits until every task (or Count of them) has ended and returns
// them in the order they ended. When ctx ends first it returns those ended so
// far and ctx's cause. With RaiseError it stops at the first failure and
// returns its error (the other tasks keep running).
func JoinAll(ctx context.Context, tasks []Task, opts ...JoinOption) ([]Task, error) {
	var c joinConfig
	for _, o := range opts {
		o(&c)
	}
	n := len(tasks)
	if c.count > 0 && c.count < n {
		n = c.count
	}
	if !c.raise && n == len(tasks) {
		return joinEach(ctx, tasks)
	}
	objs := make([]Waitable, len(tasks))
	for i, t := range tasks {
		objs[i] = t
	}
	ready := make([]Task, 0, n)
	m := newMultiWait(objs)
	defer m.close()
	for len(ready) < n {
		i, err := m.next(ctx)
		if err != nil {
			return ready, err
		}
		t := tasks[i]
		ready = append(ready, t)
		if c.raise && !t.Successful() {
			return ready, t.Err()
		}
	}
	return ready, nil
}

// joinEach joins the tasks one after another, which needs no callback per
// task, and returns those that ended in the order they ended.
func joinEach(ctx context.Context, tasks []Task) ([]Task, error) {
	var err error
	for _, t := range tasks {
		if err = t.core().Join(ctx); err != nil {
			break
		}
	}
	type ended struct {
		seq uint64
		t   Task
	}
	done := make([]ended, 0, len(tasks))
	sorted := true
	for _, t := range tasks {
		if g := t.core(); g.Dead() {
			seq := g.EndSeq()
			if n := len(done); n > 0 && seq < done[n-1].seq {
				sorted = false
			}
			done = append(done, ended{seq, t})
		}
	}
	if !sorted {
		// End numbers are unique, so an unstable sort is exact.
		slices.SortFunc(done, func(a, b ended) int { return cmp.Compare(a.seq, b.seq) })
	}
	ready := make([]Task, len(done))
	for i, e := range done {
		ready[i] = e.t
	}
	return ready, err
}

// Wait waits until count of objs (all of them when count <= 0) are ready and
// returns them in the order they became ready. When ctx ends first it
// returns those ready so far and ctx's cause (gevent's wait returns them
// quietly on timeout).
func Wait(ctx context.Context, objs []Waitable, count int) ([]Waitable, error) {
	n := len(objs)
	if count > 0 && count < n {
		n = count
	}
	out := make([]Waitable, 0, n)
	m := newMultiWait(objs)
	defer m.close()
	for len(out) < n {
		i, err := m.next(ctx)
		if err != nil {
			return out, err
		}
		out = append(out, objs[i])
	}
	return out, nil
}

// Iwait yields objs in the order they become ready (gevent's iwait). The
// sequence ends when all have been yielded, when ctx ends (quietly, as
// gevent's iwait on timeout) or when the loop breaks; either way every
// callback it registered is removed. Objects that became ready while the
// loop body ran are buffered, not lost. Duplicates are allowed.
func Iwait(ctx context.Context, objs ...Waitable) iter.Seq[Waitable] {
	return func(yield func(Waitable) bool) {
		m := newMultiWait(objs)
		defer m.close()
		for range objs {
			i, err := m.next(ctx)
			if err != nil || !yield(objs[i]) {
				return
			}
		}
	}
}

// multiWait collects readiness notifications from many objects for one
// waiter, in the order they arrive.
type multiWait struct {
	mu      sync.Mutex // guards ready and w
	ready   []int
	w       *core.Waiter // the parked caller, if any
	removes []func() bool
}

func newMultiWait(objs []Waitable) *multiWait {
	m := &multiWait{removes: make([]func() bool, len(objs))}
	for i, o := range objs {
		m.removes[i] = o.OnReady(func() { m.add(i) })
	}
	return m
}

func (m *multiWait) add(i int) {
	m.mu.Lock()
	m.ready = append(m.ready, i)
	if m.w != nil {
		// Wake under the lock next takes to clear w, so that a waiter that
		// gave up is never woken in a later, unrelated wait.
		m.w.Wake()
		m.w = nil
	}
	m.mu.Unlock()
}

// next returns the index of the next ready object, waiting for one.
func (m *multiWait) next(ctx context.Context) (int, error) {
	for {
		m.mu.Lock()
		if len(m.ready) > 0 {
			i := m.ready[0]
			m.ready = m.ready[1:]
			m.mu.Unlock()
			return i, nil
		}
		w, err := core.Prepare(ctx)
		if err != nil {
			m.mu.Unlock()
			return 0, err
		}
		m.w = w
		m.mu.Unlock()
		err = w.Block(ctx)
		m.mu.Lock()
		m.w = nil
		m.mu.Unlock()
		w.Release()
		if err != nil {
			return 0, err
		}
	}
}

func (m *multiWait) close() {
	for _, r := range m.removes {
		r()
	}
}
