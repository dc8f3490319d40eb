package gevent

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"sync"
	"unsafe"

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
// mixed greenlets (JoinAll, KillAll, pool.Group). Only greenlets implement
// it; each method is the Greenlet method of the same name.
type Task interface {
	Waitable
	// Name returns the greenlet's name (Greenlet.Name).
	Name() string
	// ID returns the greenlet's small id on its hub (Greenlet.ID).
	ID() int
	// String describes the greenlet (Greenlet.String).
	String() string
	// Dead reports whether the greenlet has ended or was killed before it
	// started (Greenlet.Dead).
	Dead() bool
	// Alive reports whether the greenlet was started and has not ended
	// (Greenlet.Alive, gevent's bool(g)).
	Alive() bool
	// Successful reports whether it ended without error or with
	// ErrGreenletExit (Greenlet.Successful).
	Successful() bool
	// Err returns the error it ended with (Greenlet.Err).
	Err() error
	// Join waits until it has ended (Greenlet.Join).
	Join(ctx context.Context) error
	// Kill kills it (Greenlet.Kill).
	Kill(ctx context.Context, opts ...KillOption)
	core() *core.G
}

// checkTasks panics, naming the function and the index, when a task is nil
// (a nil interface or a nil *Greenlet).
func checkTasks[T Task](tasks []T, what string) {
	for i, t := range tasks {
		if Task(t) == nil || t.core() == nil {
			panic(fmt.Sprintf("gevent: %s: nil tasks[%d]", what, i))
		}
	}
}

// checkObjs is checkTasks for Waitables: a nil interface, or a nil
// *Greenlet. (A nil pointer of another type is found by its own OnReady.)
func checkObjs[T Waitable](objs []T, what string) {
	for i, o := range objs {
		w := Waitable(o)
		if w == nil {
			panic(fmt.Sprintf("gevent: %s: nil objs[%d]", what, i))
		}
		if t, ok := w.(Task); ok && t.core() == nil {
			panic(fmt.Sprintf("gevent: %s: nil objs[%d]", what, i))
		}
	}
}

// WaitOption configures JoinAll, Wait and Iwait.
type WaitOption func(*waitConfig)

type waitConfig struct {
	raise   bool
	counted bool // Count was given: count is its n, 0 included
	count   int
}

func waitOptions(opts []WaitOption, n int) waitConfig {
	var c waitConfig
	for _, o := range opts {
		o(&c)
	}
	if !c.counted || c.count > n {
		c.count = n
	}
	return c
}

// RaiseError makes JoinAll return the error of the first task to fail (in
// the order they end, not their order in the list). Tasks ended by
// ErrGreenletExit have not failed. Wait and Iwait ignore it.
func RaiseError() WaitOption { return func(c *waitConfig) { c.raise = true } }

// Count makes JoinAll, Wait and Iwait stop once n of their objects are ready
// (gevent's count). More than there are means all of them; 0 means none:
// they return an empty result at once, as gevent's count=0 does. A negative
// n panics.
func Count(n int) WaitOption {
	if n < 0 {
		panic("gevent: Count: negative count " + strconv.Itoa(n))
	}
	return func(c *waitConfig) { c.count, c.counted = n, true }
}

// JoinAll waits until every task (or Count of them) has ended and returns
// them in the order they ended (gevent's joinall). When ctx ends first it
// returns those ended so far and ctx's cause. With RaiseError it stops at the
// first failure and returns its error (the other tasks keep running). tasks
// may be a []Task or a []*Greenlet[T]: what comes back has the same type.
func JoinAll[T Task](ctx context.Context, tasks []T, opts ...WaitOption) ([]T, error) {
	if ctx == nil {
		panic("gevent: JoinAll: nil ctx")
	}
	checkTasks(tasks, "JoinAll")
	c := waitOptions(opts, len(tasks))
	if !c.raise && c.count == len(tasks) {
		return joinEach(ctx, tasks)
	}
	ready := make([]T, 0, c.count)
	m := newMultiWait(tasks)
	defer m.close()
	for len(ready) < c.count {
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
// task, and returns those that ended in the order they ended. It reads each
// task's end number once, right after its Join (the handle is then in the
// cache). Usually the tasks are of one hub and end after the call, with
// nothing else ending on that hub meanwhile: their end numbers are then the
// hub's next len(tasks), and each task goes straight to its rank
// (joinRanked). Otherwise it orders them by counting, not by sorting: the
// end numbers of one batch are nearly dense.
func joinEach[T Task](ctx context.Context, tasks []T) ([]T, error) {
	var err error
	if len(tasks) > 0 {
		var ready []T
		if ready, err = joinRanked(ctx, tasks); ready != nil {
			return ready, nil
		}
	}
	seqs := make([]uint64, len(tasks)) // end numbers; 0: not ended
	for i, t := range tasks {
		g := t.core()
		if err == nil {
			err = g.Join(ctx)
		}
		if err == nil || g.Dead() {
			seqs[i] = g.EndSeq() // never 0: numbering starts at 1
		}
	}
	return inEndOrder(tasks, seqs), err
}

// joinRanked is joinEach's common case: it joins the tasks and puts each at
// slot EndSeq-base-1 of the result, base being the ends the first task's
// hub had numbered before the first Join. It gives up, returning nil, at
// the first task that does not fit (a task of another hub or one that
// ended before, a duplicate, or an end number past the range because
// something else ended between) or whose Join fails (with that error):
// joinEach then goes over the tasks again, those joined so far being dead,
// so that their Joins return at once.
func joinRanked[T Task](ctx context.Context, tasks []T) ([]T, error) {
	n := uint64(len(tasks))
	h := tasks[0].core().Hub()
	base := h.Ends()
	ready := make([]T, n)
	taken := make([]uint64, (n+63)/64) // slots filled, to catch duplicates
	for _, t := range tasks {
		g := t.core()
		if g.Hub() != h {
			return nil, nil
		}
		if err := g.Join(ctx); err != nil {
			return nil, err
		}
		k := g.EndSeq() - base - 1 // wraps past n if it ended before base
		if k >= n || taken[k/64]&(1<<(k%64)) != 0 {
			return nil, nil
		}
		taken[k/64] |= 1 << (k % 64)
		ready[k] = t
	}
	// n tasks in n distinct slots: every slot is filled.
	return ready, nil
}

// inEndOrder returns the tasks whose end number is not 0, ordered by it
// (duplicates of one task keep their list order).
func inEndOrder[T Task](tasks []T, seqs []uint64) []T {
	n, sorted := 0, true
	lo, hi, last := ^uint64(0), uint64(0), uint64(0)
	for _, s := range seqs {
		if s == 0 {
			continue
		}
		n++
		sorted = sorted && s >= last
		last = s
		lo, hi = min(lo, s), max(hi, s)
	}
	ready := make([]T, 0, n)
	switch {
	case sorted:
		for i, s := range seqs {
			if s != 0 {
				ready = append(ready, tasks[i])
			}
		}
	case hi-lo < 4*uint64(n):
		// Counting sort over the span of end numbers.
		pos := make([]int32, hi-lo+2)
		for _, s := range seqs {
			if s != 0 {
				pos[s-lo+1]++
			}
		}
		for i := 1; i < len(pos); i++ {
			pos[i] += pos[i-1]
		}
		ready = ready[:n]
		for i, s := range seqs {
			if s != 0 {
				ready[pos[s-lo]] = tasks[i]
				pos[s-lo]++
			}
		}
	default:
		// Sparse end numbers (tasks of several hubs, or ended long apart).
		idx := make([]int, 0, n)
		for i, s := range seqs {
			if s != 0 {
				idx = append(idx, i)
			}
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(seqs[a], seqs[b]) })
		for _, i := range idx {
			ready = append(ready, tasks[i])
		}
	}
	return ready
}

// Wait waits until every object (or Count of them) is ready and returns them
// in the order they became ready (gevent's wait). When ctx ends first it
// returns those ready so far and ctx's cause (gevent's wait returns them
// quietly on timeout). objs may be a []Waitable, a []Task or a
// []*Greenlet[T]: what comes back has the same type. With no objects it
// returns at once, as gevent's wait([]) does; gevent's wait() with no
// argument at all is WaitHub.
func Wait[T Waitable](ctx context.Context, objs []T, opts ...WaitOption) ([]T, error) {
	if ctx == nil {
		panic("gevent: Wait: nil ctx")
	}
	if len(objs) == 0 {
		return nil, nil
	}
	checkObjs(objs, "Wait")
	c := waitOptions(opts, len(objs))
	out := make([]T, 0, c.count)
	m := newMultiWait(objs)
	defer m.close()
	for len(out) < c.count {
		i, err := m.next(ctx)
		if err != nil {
			return out, err
		}
		out = append(out, objs[i])
	}
	return out, nil
}

// WaitHub parks the calling greenlet until nothing else is left on its hub
// (gevent's wait() with no arguments, hub.join()): no queued work, no armed
// timer other than ctx's own timeouts, no I/O wait, and no outside work in
// flight (a Blocking call, a socket or HTTP client operation running off the
// hub). Greenlets parked on something nobody can signal do not count: they
// would wait for ever, as in gevent. Other hubs and plain goroutines do not
// count either. So `spawn; spawn; wait()`
// ports as two Spawns and a WaitHub. It returns nil, or ctx's cause when ctx
// ends first. ctx must be a running greenlet's context.
func WaitHub(ctx context.Context) error {
	if ctx == nil {
		panic("gevent: WaitHub: nil ctx")
	}
	g := core.Current(ctx)
	if g == nil {
		panic("gevent: WaitHub: ctx must be the context of a running greenlet (it waits for that greenlet's hub)")
	}
	return g.Hub().WaitQuiet(ctx, g)
}

// Iwait yields the objects (or the first Count of them) in the order they
// become ready (gevent's iwait). The sequence ends when they have been
// yielded, when ctx ends (quietly, as gevent's iwait on timeout) or when the
// loop breaks; either way every callback it registered is removed. Objects
// that became ready while the loop body ran are buffered, not lost.
// Duplicates are allowed. objs may be a []Waitable, a []Task or a
// []*Greenlet[T]: the sequence yields that element type.
func Iwait[T Waitable](ctx context.Context, objs []T, opts ...WaitOption) iter.Seq[T] {
	if ctx == nil {
		panic("gevent: Iwait: nil ctx")
	}
	checkObjs(objs, "Iwait")
	c := waitOptions(opts, len(objs))
	return func(yield func(T) bool) {
		m := newMultiWait(objs)
		defer m.close()
		for range c.count {
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
	// gs are the greenlets among the objects (for dumps: only their ends
	// can complete the wait when they are all there is).
	gs []*core.G
}

func newMultiWait[T Waitable](objs []T) *multiWait {
	m := &multiWait{removes: make([]func() bool, len(objs))}
	for i, o := range objs {
		if t, ok := any(o).(Task); ok {
			// A greenlet's waiter resumes inside its death notification.
			g := t.core()
			m.gs = append(m.gs, g)
			l := &core.Link{FnFrom: func(from *core.Hub) { m.add(i, from) }}
			g.AddLink(l)
			m.removes[i] = func() bool { return g.RemoveLink(l) }
			continue
		}
		m.removes[i] = o.OnReady(func() { m.add(i, nil) })
	}
	return m
}

// add records that objs[i] is ready and wakes the waiter; from is the hub
// whose notification calls it, if known (core.Waiter.WakeFrom).
func (m *multiWait) add(i int, from *core.Hub) {
	m.mu.Lock()
	m.ready = append(m.ready, i)
	if m.w != nil {
		// Wake under the lock next takes to clear w, so that a waiter that
		// gave up is never woken in a later, unrelated wait.
		m.w.WakeFrom(from)
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
		w, err := core.PrepareOn(ctx, waitAny, unsafe.Pointer(m))
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

// waitAny is the kind of a Wait or Iwait's park; the object is the
// multiWait, described by its objects.
var waitAny = core.RegisterWaitKind("wait.any", describeMultiWait)

// describeMultiWait reports "wait.any(3 objects, 0 ready)"; when every
// object is a greenlet, only their ends can complete the wait.
func describeMultiWait(obj unsafe.Pointer) core.WaitDetail {
	m := (*multiWait)(obj)
	m.mu.Lock()
	n, ready := len(m.removes), len(m.ready)
	m.mu.Unlock()
	d := core.WaitDetail{Object: "wait.any(" + strconv.Itoa(n) + " objects, " + strconv.Itoa(ready) + " ready)"}
	if len(m.gs) == n {
		d.Wakers = m.gs
	}
	return d
}
