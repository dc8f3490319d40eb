package queue_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/queue"
)

// FuzzQueue drives one queue (Queue, LifoQueue, PriorityQueue or Channel,
// with a capacity of 0 to 3) with a random script and checks every result
// against refQueue (model_test.go), step by step: TryPut, TryGet, TryPeek,
// Put/Get/Peek with an already-cancelled context, greenlets parked in Put,
// Get and Peek under timeouts (none, zero, negative, whole and half units,
// math.MaxInt64), kills of greenlets in any state, TaskDone, Join, Shutdown,
// and the main greenlet advancing the clock so that timeouts expire.
//
// The run is inside a testing/synctest bubble, so timeouts expire at exact
// instants: a waiter whose timeout is due at the instant the main greenlet
// wakes is still there during that instant's steps (timeouts fire after the
// sleeps of their instant, gevent's rule), and gone by the next one.
//
// Besides the model, it checks conservation without it: every item whose Put
// succeeded is received exactly once (by a Get, a TryGet, the final drain)
// or dropped by an immediate Shutdown; nothing else is ever received.
func FuzzQueue(f *testing.F) {
	for _, s := range queueSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := decodeQueueScript(data)
		underDeadline(20*time.Second, s.String(), func() {
			synctest.Test(t, func(t *testing.T) { checkQueueScript(t, s) })
		})
	})
}

// underDeadline runs f and panics, naming what, if f has not returned after
// d of real time: a hang must fail the run, not stall it.
func underDeadline(d time.Duration, what string, f func()) {
	watchdog := time.AfterFunc(d, func() {
		panic(fmt.Sprintf("still running after %v of real time: %s", d, what))
	})
	defer watchdog.Stop()
	f()
}

const unit = time.Second // the main greenlet's clock step

// Opcodes of a queue script.
const (
	qTryPut = iota
	qTryGet
	qTryPeek
	qPutCancelled
	qGetCancelled // Get, or Peek when arg is odd
	qSpawnPut
	qSpawnGet
	qSpawnPeek
	qKill    // kill spawned greenlet arg (any state); yield after it when arg2 is odd
	qAdvance // sleep 1-4 units
	qTaskDone
	qJoin // Join with a cancelled context
	qShutdown
	nQueueOps
)

var queueOpNames = [...]string{"TryPut", "TryGet", "TryPeek", "Put(cancelled)", "Get/Peek(cancelled)",
	"spawn Put", "spawn Get", "spawn Peek", "kill", "advance", "TaskDone", "Join(cancelled)", "Shutdown"}

type queueOp struct {
	code       int
	arg, arg2  byte
	timeoutArg byte
}

func (o queueOp) String() string {
	s := queueOpNames[o.code]
	switch o.code {
	case qSpawnPut, qSpawnGet, qSpawnPeek:
		return fmt.Sprintf("%s(%d, timeout %s)", s, o.arg, timeoutName(o.timeoutArg))
	case qTryPut, qPutCancelled, qGetCancelled, qKill, qAdvance, qShutdown:
		return fmt.Sprintf("%s(%d,%d)", s, o.arg, o.arg2)
	}
	return s
}

type queueScript struct {
	order string // "fifo", "lifo", "prio", "chan"
	max   int
	ops   []queueOp
}

func (s queueScript) String() string { return fmt.Sprintf("%s max=%d %v", s.order, s.max, s.ops) }

// decodeQueueScript turns fuzz bytes into a script of at most 150 steps;
// every byte string is a valid script.
func decodeQueueScript(data []byte) queueScript {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	s := queueScript{order: []string{"fifo", "lifo", "prio", "chan"}[next()%4], max: int(next() % 4)}
	if s.order == "chan" {
		s.max = 0
	}
	for len(data) > 0 && len(s.ops) < 150 {
		op := queueOp{code: int(next()) % nQueueOps}
		switch op.code {
		case qSpawnPut, qSpawnGet, qSpawnPeek:
			op.arg, op.timeoutArg = next(), next()
		case qTryPut, qPutCancelled, qGetCancelled, qKill, qAdvance, qShutdown:
			op.arg, op.arg2 = next(), next()
		}
		s.ops = append(s.ops, op)
	}
	return s
}

// timeout returns the duration a script byte asks for, and false for none.
func timeout(b byte, now int64) (time.Duration, bool) {
	switch k := b % 16; {
	case k == 0:
		return 0, false
	case k == 1:
		return 0, true
	case k == 2:
		return -1, true
	case k == 3:
		return math.MaxInt64, true
	case k == 4:
		return time.Duration(math.MaxInt64 - now), true // deadline exactly MaxInt64
	case k <= 10:
		return time.Duration(k-4) * unit, true
	default:
		return time.Duration(k-10)*unit - unit/2, true
	}
}

func timeoutName(b byte) string {
	switch d, ok := timeout(b, 0); {
	case !ok:
		return "none"
	case b%16 == 4:
		return "MaxInt64-now"
	default:
		return d.String()
	}
}

// queueSeeds are the seed corpus: each kind and capacity with parked
// putters and getters under timeouts that expire at, before and after the
// main greenlet's instants, kills, and extremes; plus pseudo-random scripts.
func queueSeeds() [][]byte {
	const (
		fifo, lifo, prio, chn = 0, 1, 2, 3
		// Timeout bytes: none, 1 unit, 1.5 units, MaxInt64, zero.
		toNone, to1, to15, toMax, to0 = 0, 5, 12, 3, 1
	)
	seeds := [][]byte{
		// Getters parked under timeouts: one expires at the main
		// greenlet's instant and still receives an item put then.
		{fifo, 0, qSpawnGet, 0, to1, qSpawnGet, 0, to15, qSpawnGet, 0, toMax, qAdvance, 0, 0,
			qTryPut, 1, 0, qAdvance, 0, 0, qTryPut, 2, 0, qTryPut, 3, 0, qAdvance, 1, 0},
		// A full bounded queue: putters parked under timeouts, a kill, and
		// Gets that let the surviving putters in, in arrival order.
		{lifo, 2, qTryPut, 5, 0, qTryPut, 6, 0, qSpawnPut, 7, to1, qSpawnPut, 8, toMax, qSpawnPut, 9, to0,
			qKill, 3, 1, qAdvance, 0, 0, qTryGet, qTryGet, qTryGet, qTryGet, qTryGet},
		{prio, 1, qTryPut, 30, 0, qSpawnPut, 10, toNone, qSpawnPut, 20, to15, qSpawnPeek, 0, to0,
			qTryGet, qAdvance, 1, 0, qTryGet, qTryGet, qTaskDone, qTaskDone, qJoin},
		// A Channel: getters and putters meet; a putter times out and its
		// item is withdrawn; Peek sees a parked putter's item.
		{chn, 0, qSpawnPut, 1, to1, qSpawnPut, 2, toNone, qTryPeek, qAdvance, 0, 0, qTryGet,
			qSpawnGet, 0, to0, qSpawnPeek, 0, to15, qPutCancelled, 3, 0, qAdvance, 1, 0, qTryGet},
		// Shutdown with parked getters and putters, then everything fails.
		{fifo, 1, qTryPut, 1, 0, qSpawnPut, 2, to1, qSpawnGet, 0, toNone, qShutdown, 0, 0,
			qTryPut, 4, 0, qTryGet, qSpawnGet, 0, toNone, qAdvance, 0, 0},
		{lifo, 3, qTryPut, 1, 0, qTryPut, 2, 0, qShutdown, 0, 1, qTryGet, qTaskDone, qJoin},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 24 {
		b := make([]byte, 40+rng.IntN(160))
		for j := range b {
			b[j] = byte(rng.UintN(256))
		}
		b[0], b[1] = byte(i%4), byte(i/4%4)
		// Keep Shutdown rare in these: it ends a script's interest early.
		for j := 2; j < len(b); j++ {
			if int(b[j])%nQueueOps == qShutdown {
				b[j]++
			}
		}
		seeds = append(seeds, b)
	}
	return seeds
}

func checkQueueScript(t *testing.T, s queueScript) {
	var q intQueue
	switch s.order {
	case "fifo":
		q = queue.New[int](s.max)
	case "lifo":
		q = queue.NewLifo[int](s.max)
	case "prio":
		q = queue.NewOrdered[int](s.max)
	default:
		q = new(queue.Channel[int])
	}
	m := &refQueue{order: s.order, max: s.max}
	quiet := gevent.WithErrorHandler(func(gevent.Task, error) {})
	geventtest.Run(t, func(ctx context.Context) error {
		runQueueScript(ctx, t, s, m, q)
		return nil
	}, quiet)
}

func runQueueScript(ctx context.Context, t *testing.T, s queueScript, m *refQueue, q intQueue) {
	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	jq, joinable := q.(joinable)
	var (
		spawned  []*refWaiter
		deadline = map[*refWaiter]int64{} // parked waiters with a timeout
		puts     []int                    // items whose Put succeeded
		gets     []int                    // items a Get or TryGet received
		dropped  int                      // items dropped by Shutdown(true)
		serial   int
		failed   bool
	)
	fail := func(step int, format string, args ...any) {
		t.Helper()
		t.Errorf("%v\nstep %d: %s", s, step, fmt.Sprintf(format, args...))
		failed = true
	}
	isErr := func(err, want error) bool {
		return want == nil && err == nil || want != nil && errors.Is(err, want)
	}
	item := func(b byte) int { serial++; return int(b%40)*1000 + serial }
	cctx := cancelled(ctx)
	for step, op := range s.ops {
		switch op.code {
		case qTryPut:
			v := item(op.arg)
			got, want := q.TryPut(v), m.tryPut(v)
			if got != want {
				fail(step, "TryPut(%d) = %v, want %v", v, got, want)
			}
			if got {
				puts = append(puts, v)
			}
		case qTryGet, qTryPeek:
			peek := op.code == qTryPeek
			var gv int
			var gok bool
			if peek {
				gv, gok = q.TryPeek()
			} else {
				gv, gok = q.TryGet()
			}
			wv, wok := m.tryTake(peek)
			if gv != wv || gok != wok {
				fail(step, "%s = %d, %v; want %d, %v", queueOpNames[op.code], gv, gok, wv, wok)
			}
			if gok && !peek {
				gets = append(gets, gv)
			}
		case qPutCancelled:
			v := item(op.arg)
			err := q.Put(cctx, v)
			var want error
			if m.shutdown {
				want = queue.ErrShutDown
			} else if !m.tryPut(v) {
				want = context.Canceled
			}
			if !isErr(err, want) {
				fail(step, "Put(cancelled, %d) = %v, want %v", v, err, want)
			}
			if err == nil {
				puts = append(puts, v)
			}
		case qGetCancelled:
			peek := op.arg%2 == 1
			gv, wv, err, want := takeCancelled(q, m, cctx, peek)
			if gv != wv || !isErr(err, want) {
				fail(step, "Get/Peek(cancelled) peek=%v = %d, %v; want %d, %v", peek, gv, err, wv, want)
			}
			if err == nil && !peek {
				gets = append(gets, gv)
			}
		case qSpawnPut, qSpawnGet, qSpawnPeek:
			d, hasTimeout := timeout(op.timeoutArg, now())
			body := func(call func(ctx context.Context) (int, error)) func(ctx context.Context) (int, error) {
				return func(ctx context.Context) (int, error) {
					if hasTimeout {
						c, cancel := gevent.WithTimeout(ctx, d)
						defer cancel()
						ctx = c
					}
					return call(ctx)
				}
			}
			w := &refWaiter{}
			switch op.code {
			case qSpawnPut:
				v := item(op.arg)
				w.what, w.v = "Put", v
				w.g = spawn(ctx, body(func(ctx context.Context) (int, error) { return 0, q.Put(ctx, v) }))
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
			default:
				peek := op.code == qSpawnPeek
				w.what = "Get"
				call := q.Get
				if peek {
					w.what, call = "Peek", q.Peek
				}
				w.g = spawn(ctx, body(call))
				if tv, ok := m.tryTake(peek); ok {
					w.finish(tv, nil)
				} else if m.shutdown {
					w.finish(0, queue.ErrShutDown)
				} else {
					m.getters = append(m.getters, w)
				}
			}
			if hasTimeout && !w.done {
				deadline[w] = saturatedAdd(now(), d)
			}
			spawned = append(spawned, w)
			gevent.Yield(ctx) // let it run into its call
		case qKill:
			if len(spawned) == 0 {
				continue
			}
			w := spawned[int(op.arg)%len(spawned)]
			gevent.Kill(context.Background(), w.g)
			if slices.Contains(m.getters, w) || slices.Contains(m.putters, w) {
				m.remove(w)
			}
			if op.arg2%2 == 1 {
				gevent.Yield(ctx) // sometimes let it leave before the next step
			}
		case qAdvance:
			want := now() + int64(1+op.arg%4)*int64(unit)
			if err := gevent.Sleep(ctx, time.Duration(1+op.arg%4)*unit); err != nil {
				fail(step, "main Sleep = %v", err)
			}
			if now() != want {
				fail(step, "main woke at %v, want %v", time.Duration(now()), time.Duration(want))
			}
			// Every timeout due before this instant has fired; those due
			// now fire after this instant's steps.
			for _, w := range slices.Concat(m.getters, m.putters) {
				if dl, ok := deadline[w]; ok && dl < now() {
					m.getters = slices.DeleteFunc(m.getters, func(x *refWaiter) bool { return x == w })
					m.putters = slices.DeleteFunc(m.putters, func(x *refWaiter) bool { return x == w })
					w.finish(0, context.DeadlineExceeded)
				}
			}
		case qTaskDone:
			if !joinable {
				continue
			}
			msg := taskDonePanic(jq)
			want := ""
			if m.unfinished == 0 {
				want = taskDoneTooMany
			} else {
				m.unfinished--
			}
			if msg != want {
				fail(step, "TaskDone panicked with %q, want %q", msg, want)
			}
		case qJoin:
			if !joinable {
				continue
			}
			var want error
			if m.unfinished > 0 {
				want = context.Canceled
			}
			if err := jq.Join(cctx); !isErr(err, want) {
				fail(step, "Join(cancelled) = %v, want %v", err, want)
			}
		case qShutdown:
			// Rare: a script that shuts its queue down early tests little
			// else.
			if op.arg%8 != 0 {
				continue
			}
			immediate := op.arg2%2 == 1
			if immediate && m.order != "chan" {
				dropped += q.Len()
			}
			q.Shutdown(immediate)
			m.shutdownNow(immediate)
		}
		if m.order == "chan" {
			if q.Len() != 0 || !q.Empty() || !q.Full() {
				fail(step, "Channel Len, Empty, Full = %d, %v, %v", q.Len(), q.Empty(), q.Full())
			}
		} else if q.Len() != len(m.items) || q.Empty() != (len(m.items) == 0) || q.Full() != m.full() {
			fail(step, "Len, Empty, Full = %d, %v, %v; want %d, %v, %v",
				q.Len(), q.Empty(), q.Full(), len(m.items), len(m.items) == 0, m.full())
		}
		if failed {
			return
		}
	}

	// Drain what is left (letting parked putters in), then shut down so that
	// every parked greenlet ends, and compare each one's result.
	var left []int
	for {
		gv, gok := q.TryGet()
		wv, wok := m.tryTake(false)
		if gv != wv || gok != wok {
			fail(len(s.ops), "final TryGet = %d, %v; want %d, %v", gv, gok, wv, wok)
			return
		}
		if !gok {
			break
		}
		left = append(left, gv)
	}
	q.Shutdown(true)
	m.shutdownNow(true)
	for i, w := range spawned {
		v, err := w.g.Get(ctx)
		if !w.done {
			fail(len(s.ops), "model left greenlet %d (%s) undecided", i, w.what)
			return
		}
		if w.what == "Put" {
			if err == nil {
				puts = append(puts, w.v)
			}
			v = 0
		} else if w.what == "Get" && err == nil {
			gets = append(gets, v)
		}
		if v != w.wantV || !isErr(err, w.wantErr) {
			fail(len(s.ops), "greenlet %d (%s %d) = %d, %v; want %d, %v", i, w.what, w.v, v, err, w.wantV, w.wantErr)
		}
	}

	// Conservation, without the model: each item put is received once or
	// dropped; nothing is received that was not put.
	received := slices.Concat(gets, left)
	slices.Sort(received)
	slices.Sort(puts)
	if len(slices.Compact(slices.Clone(received))) != len(received) {
		fail(len(s.ops), "an item was received twice: %v", received)
	}
	for _, v := range received {
		if _, ok := slices.BinarySearch(puts, v); !ok {
			fail(len(s.ops), "received %d, which no successful Put sent", v)
		}
	}
	if len(puts) != len(received)+dropped {
		fail(len(s.ops), "%d items put, %d received and %d dropped: items lost", len(puts), len(received), dropped)
	}
}

// saturatedAdd is now+d capped at math.MaxInt64 (d <= 0: now), the hub's
// deadline arithmetic.
func saturatedAdd(now int64, d time.Duration) int64 {
	if d <= 0 {
		return now
	}
	if int64(d) > math.MaxInt64-now {
		return math.MaxInt64
	}
	return now + int64(d)
}
