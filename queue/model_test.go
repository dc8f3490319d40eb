package queue_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/queue"
)

// refQueue is the reference model: a plain slice of items, the FIFO lists of
// parked getters and putters (greenlets the test spawned), the unfinished
// count and the shutdown flag. It is single-threaded and obviously right.
type refQueue struct {
	order      string // "fifo", "lifo", "prio" or "chan"
	max        int    // 0: unbounded
	items      []int
	getters    []*refWaiter
	putters    []*refWaiter
	unfinished int
	shutdown   bool
}

// refWaiter is one spawned greenlet and what the model expects it to return.
type refWaiter struct {
	g       *gevent.Greenlet[int]
	what    string // "Get", "Peek" or "Put"
	v       int    // a putter's item
	done    bool   // the model has decided its result
	wantV   int
	wantErr error
}

func (m *refQueue) full() bool {
	if m.order == "chan" {
		return true
	}
	return m.max > 0 && len(m.items) >= m.max
}

// next is the index of the item Get would return.
func (m *refQueue) next() int {
	switch m.order {
	case "lifo":
		return len(m.items) - 1
	case "prio":
		return slices.Index(m.items, slices.Min(m.items))
	}
	return 0
}

func (m *refQueue) take() int {
	i := m.next()
	v := m.items[i]
	m.items = slices.Delete(m.items, i, i+1)
	// Room appeared: the first parked putter gets in.
	if len(m.putters) > 0 && !m.full() {
		p := m.putters[0]
		m.putters = m.putters[1:]
		m.items = append(m.items, p.v)
		m.unfinished++
		p.finish(0, nil)
	}
	return v
}

func (w *refWaiter) finish(v int, err error) { w.done, w.wantV, w.wantErr = true, v, err }

// offer hands v to the first parked Get; the Peek calls queued before it see
// v. With no Get parked, nothing happens. It reports whether a Get took v.
func (m *refQueue) offer(v int) bool {
	i := slices.IndexFunc(m.getters, func(w *refWaiter) bool { return w.what == "Get" })
	if i < 0 {
		return false
	}
	for _, w := range m.getters[:i+1] {
		w.finish(v, nil)
	}
	m.getters = m.getters[i+1:]
	if m.order != "chan" {
		m.unfinished++
	}
	return true
}

// wakePeekers: every parked Peek sees v (offer found no Get).
func (m *refQueue) wakePeekers(v int) {
	for _, w := range m.getters {
		w.finish(v, nil)
	}
	m.getters = nil
}

// tryPut is what TryPut (and a Put that need not wait) does.
func (m *refQueue) tryPut(v int) bool {
	if m.shutdown {
		return false
	}
	if m.offer(v) {
		return true
	}
	if m.full() {
		return false
	}
	m.wakePeekers(v)
	m.items = append(m.items, v)
	m.unfinished++
	return true
}

// tryTake is what TryGet / TryPeek do.
func (m *refQueue) tryTake(peek bool) (int, bool) {
	if m.order == "chan" {
		if len(m.putters) == 0 {
			return 0, false
		}
		p := m.putters[0]
		if !peek {
			m.putters = m.putters[1:]
			p.finish(0, nil)
		}
		return p.v, true
	}
	if len(m.items) == 0 {
		return 0, false
	}
	if peek {
		return m.items[m.next()], true
	}
	return m.take(), true
}

func (m *refQueue) shutdownNow(immediate bool) {
	m.shutdown = true
	if immediate && m.order != "chan" {
		m.unfinished = max(0, m.unfinished-len(m.items))
		m.items = nil
	}
	for _, w := range slices.Concat(m.getters, m.putters) {
		w.finish(0, queue.ErrShutDown)
	}
	m.getters, m.putters = nil, nil
}

// remove drops a parked waiter that was killed.
func (m *refQueue) remove(w *refWaiter) {
	m.getters = slices.DeleteFunc(m.getters, func(x *refWaiter) bool { return x == w })
	m.putters = slices.DeleteFunc(m.putters, func(x *refWaiter) bool { return x == w })
	w.finish(0, gevent.ErrGreenletExit)
}

// TestModel drives each queue kind with random sequences of non-blocking
// calls, blocking calls with an already-cancelled ctx (immediate timeouts),
// greenlets that park in Put, Get and Peek, kills of parked greenlets,
// TaskDone, Join and Shutdown, and checks every result against refQueue.
func TestModel(t *testing.T) {
	makers := map[string]func(max int) intQueue{
		"fifo": func(n int) intQueue { return queue.New[int](n) },
		"lifo": func(n int) intQueue { return queue.NewLifo[int](n) },
		"prio": func(n int) intQueue { return queue.NewOrdered[int](n) },
		"chan": func(int) intQueue { return new(queue.Channel[int]) },
	}
	seeds := 60
	if testing.Short() {
		seeds = 10
	}
	for _, order := range []string{"fifo", "lifo", "prio", "chan"} {
		t.Run(order, func(t *testing.T) {
			for seed := range uint64(seeds) {
				max := int(seed % 4) // 0 (unbounded), 1, 2, 3
				if order == "chan" {
					max = 0
				}
				run(t, func(ctx context.Context) error {
					return runModel(ctx, t, seed, &refQueue{order: order, max: max}, makers[order](max))
				})
				if t.Failed() {
					t.Fatalf("seed %d failed", seed)
				}
			}
		})
	}
}

func runModel(ctx context.Context, t *testing.T, seed uint64, m *refQueue, q intQueue) error {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	jq, joinable := q.(joinable)
	var spawned []*refWaiter
	check := func(step int, op string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("seed %d step %d: %s = %v, want %v", seed, step, op, got, want)
		}
	}
	isErr := func(err, want error) string {
		if want == nil && err == nil || want != nil && errors.Is(err, want) {
			return "ok"
		}
		return fmt.Sprintf("err %v, want %v", err, want)
	}
	cctx := cancelled(ctx)
	for step := range 250 {
		v := rng.IntN(20)
		op := rng.IntN(100)
		switch {
		case op < 15:
			check(step, fmt.Sprintf("TryPut(%d)", v), q.TryPut(v), m.tryPut(v))
		case op < 28:
			gv, gok := q.TryGet()
			wv, wok := m.tryTake(false)
			check(step, "TryGet", [2]any{gv, gok}, [2]any{wv, wok})
		case op < 33:
			gv, gok := q.TryPeek()
			wv, wok := m.tryTake(true)
			check(step, "TryPeek", [2]any{gv, gok}, [2]any{wv, wok})
		case op < 40: // Put with an immediate timeout
			err := q.Put(cctx, v)
			var want error
			if m.shutdown {
				want = queue.ErrShutDown
			} else if !m.tryPut(v) {
				want = context.Canceled
			}
			check(step, fmt.Sprintf("Put(cancelled, %d)", v), isErr(err, want), "ok")
		case op < 47: // Get or Peek with an immediate timeout
			peek := op < 43
			gv, wv, err, want := takeCancelled(q, m, cctx, peek)
			check(step, fmt.Sprintf("Get/Peek(cancelled) peek=%v", peek), [2]any{gv, isErr(err, want)}, [2]any{wv, "ok"})
		case op < 57: // a greenlet that puts
			w := &refWaiter{what: "Put", v: v}
			w.g = spawn(ctx, func(ctx context.Context) (int, error) { return 0, q.Put(ctx, v) })
			spawned = append(spawned, w)
			switch {
			case m.shutdown:
				w.finish(0, queue.ErrShutDown)
			case m.order == "chan" && m.offer(v), m.order != "chan" && m.tryPut(v):
				w.finish(0, nil)
			default:
				if m.order == "chan" {
					m.wakePeekers(v)
				}
				m.putters = append(m.putters, w)
			}
			gevent.Yield(ctx) // let it run into its Put
		case op < 70: // a greenlet that gets or peeks
			peek := op < 62
			w := &refWaiter{what: "Get"}
			if peek {
				w.what = "Peek"
				w.g = spawn(ctx, q.Peek)
			} else {
				w.g = spawn(ctx, q.Get)
			}
			spawned = append(spawned, w)
			if tv, ok := m.tryTake(peek); ok {
				w.finish(tv, nil)
			} else if m.shutdown {
				w.finish(0, queue.ErrShutDown)
			} else {
				m.getters = append(m.getters, w)
			}
			gevent.Yield(ctx)
		case op < 78: // kill a parked greenlet (it stays queued until it runs)
			parked := slices.Concat(m.getters, m.putters)
			if len(parked) == 0 {
				continue
			}
			w := parked[rng.IntN(len(parked))]
			gevent.Kill(context.Background(), w.g)
			m.remove(w)
			if rng.IntN(2) == 0 {
				gevent.Yield(ctx) // sometimes let it leave before the next op
			}
		case op < 86 && joinable:
			msg := taskDonePanic(jq)
			want := ""
			if m.unfinished == 0 {
				want = taskDoneTooMany
			} else {
				m.unfinished--
			}
			check(step, "TaskDone panic", msg, want)
		case op < 90 && joinable:
			var want error
			if m.unfinished > 0 {
				want = context.Canceled
			}
			check(step, "Join(cancelled)", isErr(jq.Join(cctx), want), "ok")
		case op < 92:
			immediate := rng.IntN(2) == 0
			q.Shutdown(immediate)
			m.shutdownNow(immediate)
		}
		if m.order == "chan" {
			check(step, "Len, Empty, Full", [3]any{q.Len(), q.Empty(), q.Full()}, [3]any{0, true, true})
		} else {
			check(step, "Len, Empty, Full", [3]any{q.Len(), q.Empty(), q.Full()},
				[3]any{len(m.items), len(m.items) == 0, m.full()})
		}
		if t.Failed() {
			return nil
		}
	}
	// End every parked greenlet and compare each one's result.
	q.Shutdown(true)
	m.shutdownNow(true)
	for i, w := range spawned {
		v, err := w.g.Get(ctx)
		if !w.done {
			t.Fatalf("seed %d: model left greenlet %d (%s) undecided", seed, i, w.what)
		}
		if w.what == "Put" {
			v = 0
		}
		if v != w.wantV || isErr(err, w.wantErr) != "ok" {
			t.Errorf("seed %d: greenlet %d (%s %d) = %v, %v; want %v, %v",
				seed, i, w.what, w.v, v, err, w.wantV, w.wantErr)
		}
	}
	return nil
}

// takeCancelled runs a Get (or Peek) with an already cancelled context on q
// and on the model m: what q gave, and what m says it should have (an
// available item is taken even so; otherwise ErrShutDown or the
// cancellation).
func takeCancelled(q intQueue, m *refQueue, cctx context.Context, peek bool) (got, want int, err, wantErr error) {
	if peek {
		got, err = q.Peek(cctx)
	} else {
		got, err = q.Get(cctx)
	}
	want, ok := m.tryTake(peek)
	if !ok && m.shutdown {
		wantErr = queue.ErrShutDown
	} else if !ok {
		wantErr = context.Canceled
	}
	return got, want, err, wantErr
}
