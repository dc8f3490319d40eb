package queue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/queue"
)

// TestNoSwitchWhenImmediate pins gevent's rule that Put, Get, Peek and Join
// complete without switching when they need not wait (test_send_first,
// test_issue_45).
func TestNoSwitchWhenImmediate(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				q := k.make(2)
				if err := q.Join(ctx); err != nil { // nothing was ever put
					t.Errorf("Join on a new queue = %v", err)
				}
				ran := false
				gevent.SpawnRaw(ctx, func(context.Context) { ran = true })
				steps := []struct {
					name string
					op   func() error
				}{
					{"Put", func() error { return q.Put(ctx, 1) }},
					{"Put", func() error { return q.Put(ctx, 2) }},
					{"Peek", func() error { _, err := q.Peek(ctx); return err }},
					{"Get", func() error { _, err := q.Get(ctx); return err }},
					{"Get", func() error { _, err := q.Get(ctx); return err }},
					{"TaskDone", func() error { q.TaskDone(); return nil }},
					{"TaskDone", func() error { q.TaskDone(); return nil }},
					{"Join", func() error { return q.Join(ctx) }},
				}
				for _, s := range steps {
					if err := s.op(); err != nil {
						t.Fatalf("%s = %v", s.name, err)
					}
					if ran {
						t.Fatalf("%s switched to another greenlet", s.name)
					}
				}
				gevent.Yield(ctx)
				if !ran {
					t.Errorf("spawned greenlet did not run after Yield")
				}
				return nil
			})
		})
	}
}

// TestGettersServedFIFO: blocked getters receive items in arrival order.
func TestGettersServedFIFO(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				q := k.make(0)
				var gs []*gevent.Greenlet[int]
				for range 4 {
					gs = append(gs, spawn(ctx, q.Get))
				}
				gevent.Yield(ctx) // all four park in spawn order
				for i := range 4 {
					if !q.TryPut(10 + i) {
						t.Fatalf("TryPut(%d) = false on an unbounded queue", 10+i)
					}
				}
				if n := q.Len(); n != 0 {
					t.Errorf("Len after handing to waiting getters = %d, want 0", n)
				}
				for i, g := range gs {
					if v, err := g.Get(ctx); v != 10+i || err != nil {
						t.Errorf("getter %d got %v, %v; want %d", i, v, err, 10+i)
					}
				}
				return nil
			})
		})
	}
}

// TestPuttersServedFIFO: blocked putters enter a full queue in arrival order
// and a putter is admitted as soon as one item is taken (test_max_size).
func TestPuttersServedFIFO(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.New[string](2)
		var results []string
		p := spawn(ctx, func(ctx context.Context) (string, error) {
			for _, s := range []string{"a", "b", "c"} {
				if err := q.Put(ctx, s); err != nil {
					return "", err
				}
				results = append(results, s)
			}
			return "OK", nil
		})
		gevent.Yield(ctx)
		if want := []string{"a", "b"}; !slices.Equal(results, want) {
			t.Fatalf("results = %v, want %v", results, want)
		}
		if !q.Full() {
			t.Errorf("Full = false with 2 items in a Queue(2)")
		}
		if v, _ := q.Get(ctx); v != "a" {
			t.Errorf("Get = %q, want a", v)
		}
		gevent.Yield(ctx)
		if want := []string{"a", "b", "c"}; !slices.Equal(results, want) {
			t.Fatalf("results = %v, want %v", results, want)
		}
		for _, want := range []string{"b", "c"} {
			if v, _ := q.Get(ctx); v != want {
				t.Errorf("Get = %q, want %q", v, want)
			}
		}
		if v, err := p.Get(ctx); v != "OK" || err != nil {
			t.Errorf("putter = %v, %v", v, err)
		}

		// Several blocked putters, in order.
		q1 := queue.New[int](1)
		q1.TryPut(0)
		for i := 1; i <= 3; i++ {
			gevent.SpawnRaw(ctx, func(ctx context.Context) { q1.Put(ctx, i) })
		}
		gevent.Yield(ctx)
		for want := range 4 {
			if v, err := q1.Get(ctx); v != want || err != nil {
				t.Errorf("Get = %v, %v; want %d", v, err, want)
			}
			gevent.Yield(ctx)
		}
		return nil
	})
}

// TestGetterThatGaveUpIsSkipped pins "nothing is lost": a getter whose wait
// was cancelled but which has not yet run (so it is still queued) must not be
// handed the item; the next getter gets it (test_two_waiters_one_dies).
func TestGetterThatGaveUpIsSkipped(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				q := k.make(0)
				dying := spawn(ctx, q.Get)
				waiting := spawn(ctx, q.Get)
				gevent.Yield(ctx)
				// The kill cancels dying's wait at once, but dying runs
				// only later: it is still first in the getters list.
				gevent.Kill(context.Background(), dying)
				q.TryPut(7)
				if v, err := waiting.Get(ctx); v != 7 || err != nil {
					t.Errorf("live getter got %v, %v; want 7", v, err)
				}
				if _, err := dying.Get(ctx); !errors.Is(err, gevent.ErrGreenletExit) {
					t.Errorf("killed getter err = %v, want ErrGreenletExit", err)
				}
				if n := q.Len(); n != 0 {
					t.Errorf("Len = %d, want 0", n)
				}
				return nil
			})
		})
	}
}

// TestTwoBogusWaiters: when every waiting getter gave up, the item stays in
// the queue (test_two_bogus_waiters, test_waiters_that_cancel).
func TestTwoBogusWaiters(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.New[string](0)
		timedOut := func(ctx context.Context) (string, error) {
			tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
			defer cancel()
			return q.Get(tctx)
		}
		e1, e2 := spawn(ctx, timedOut), spawn(ctx, timedOut)
		killed := spawn(ctx, q.Get)
		gevent.Yield(ctx)
		gevent.Kill(context.Background(), killed)
		for _, g := range []*gevent.Greenlet[string]{e1, e2} {
			if _, err := g.Get(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("timed-out getter err = %v, want a timeout", err)
			}
		}
		q.Put(ctx, "sent")
		if v, err := q.Get(ctx); v != "sent" || err != nil {
			t.Errorf("Get = %q, %v; want sent", v, err)
		}
		return nil
	})
}

// TestPutterThatGaveUpAddsNothing: a blocked putter that was killed never
// adds its item, even if room appears before it runs again.
func TestPutterThatGaveUpAddsNothing(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				q := k.make(1)
				q.TryPut(1)
				dying := spawn(ctx, func(ctx context.Context) (int, error) { return 0, q.Put(ctx, 2) })
				live := spawn(ctx, func(ctx context.Context) (int, error) { return 0, q.Put(ctx, 3) })
				gevent.Yield(ctx)
				gevent.Kill(context.Background(), dying)
				for _, want := range []int{1, 3} {
					if v, ok := q.TryGet(); v != want || !ok {
						t.Errorf("TryGet = %v, %v; want %d", v, ok, want)
					}
				}
				if v, ok := q.TryGet(); ok {
					t.Errorf("TryGet = %v: the killed putter's item was added", v)
				}
				if err := dying.Join(ctx); err != nil || !dying.Successful() {
					t.Errorf("killed putter: %v", dying.Err())
				}
				if _, err := live.Get(ctx); err != nil {
					t.Errorf("live putter: %v", err)
				}
				return nil
			})
		})
	}
}

// TestTimeouts: a blocked Get or Put returns the ctx's cause (gevent raises
// Empty / Full); the *Timeout identity is kept.
func TestTimeouts(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.New[int](1)
		tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		if _, err := q.Get(tctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Get on empty queue with timeout = %v", err)
		}
		if _, err := q.Peek(tctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Peek after the timeout = %v", err)
		}
		q.TryPut(1)
		to := gevent.NewTimeout(time.Millisecond, nil)
		pctx := to.Start(ctx)
		defer to.Cancel()
		if err := q.Put(pctx, 2); !errors.Is(err, to) {
			t.Errorf("Put on full queue = %v, want the Timeout", err)
		}
		// A call that need not wait succeeds with a cancelled ctx.
		if v, err := q.Get(cancelled(ctx)); v != 1 || err != nil {
			t.Errorf("Get with an item and a cancelled ctx = %v, %v", v, err)
		}
		if err := q.Put(cancelled(ctx), 3); err != nil {
			t.Errorf("Put with room and a cancelled ctx = %v", err)
		}
		return nil
	})
}

// TestLoopExit: the main greenlet waiting on a queue nothing can fill gets
// ErrLoopExit (gevent raises LoopExit, test_peek_empty).
func TestLoopExit(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.New[int](0)
		if _, err := q.Peek(ctx); !errors.Is(err, gevent.ErrLoopExit) {
			t.Errorf("Peek = %v, want ErrLoopExit", err)
		}
		if _, err := q.Get(ctx); !errors.Is(err, gevent.ErrLoopExit) {
			t.Errorf("Get = %v, want ErrLoopExit", err)
		}
		return nil
	})
}

// TestPeek: blocked Peek calls see the item, a Get queued behind them takes
// it, and a Peek queued behind a Get waits for the next item
// (test_peek_multi_greenlet).
func TestPeek(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				q := k.make(0)
				p1 := spawn(ctx, q.Peek)
				g := spawn(ctx, q.Get)
				p2 := spawn(ctx, q.Peek)
				gevent.Yield(ctx)
				q.Put(ctx, 1)
				if v, err := p1.Get(ctx); v != 1 || err != nil {
					t.Errorf("Peek before the Get = %v, %v", v, err)
				}
				if v, err := g.Get(ctx); v != 1 || err != nil {
					t.Errorf("Get = %v, %v", v, err)
				}
				if q.Len() != 0 || p2.Ready() {
					t.Fatalf("Len = %d, Peek after the Get ready = %v; want 0, false", q.Len(), p2.Ready())
				}
				q.Put(ctx, 2)
				if v, err := p2.Get(ctx); v != 2 || err != nil {
					t.Errorf("Peek after the Get = %v, %v", v, err)
				}
				if v, ok := q.TryPeek(); v != 2 || !ok {
					t.Errorf("TryPeek = %v, %v; want the peeked item still queued", v, ok)
				}
				return nil
			})
		})
	}
}

func TestOrders(t *testing.T) {
	in := []int{5, 1, 4, 1, 5, 9, 2, 6, 5, 3}
	tests := []struct {
		name string
		q    joinable
		want []int
	}{
		{"Queue", queue.New[int](0), in},
		{"ZeroQueue", new(queue.Queue[int]), in},
		{"LifoQueue", queue.NewLifo[int](0), []int{3, 5, 6, 2, 9, 5, 1, 4, 1, 5}},
		{"ZeroLifoQueue", new(queue.LifoQueue[int]), []int{3, 5, 6, 2, 9, 5, 1, 4, 1, 5}},
		{"NewOrdered", queue.NewOrdered[int](0), []int{1, 1, 2, 3, 4, 5, 5, 5, 6, 9}},
		{"NewPriority", queue.NewPriority(0, func(a, b int) int { return b - a }), []int{9, 6, 5, 5, 5, 4, 3, 2, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range in {
				if !tt.q.TryPut(v) {
					t.Fatalf("TryPut(%d) = false", v)
				}
			}
			var got []int
			for v, ok := tt.q.TryGet(); ok; v, ok = tt.q.TryGet() {
				got = append(got, v)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("order = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPriorityStructs orders (priority, data) pairs, gevent's usual entries.
func TestPriorityStructs(t *testing.T) {
	type job struct {
		prio int
		name string
	}
	q := queue.NewPriority(3, func(a, b job) int { return a.prio - b.prio })
	for _, j := range []job{{3, "low"}, {1, "high"}, {2, "mid"}} {
		q.TryPut(j)
	}
	if q.TryPut(job{0, "overflow"}) {
		t.Errorf("TryPut on a full PriorityQueue(3) = true")
	}
	var names []string
	for j := range q.All(cancelledAfterEmpty(q)) {
		names = append(names, j.name)
	}
	if want := []string{"high", "mid", "low"}; !slices.Equal(names, want) {
		t.Errorf("order = %v, want %v", names, want)
	}
}

// cancelledAfterEmpty returns a context whose cause is set once q is empty:
// it lets All drain a queue from a plain goroutine without blocking.
func cancelledAfterEmpty(q interface{ Len() int }) context.Context {
	return emptyCtx{Context: context.Background(), q: q}
}

type emptyCtx struct {
	context.Context
	q interface{ Len() int }
}

func (c emptyCtx) Err() error {
	if c.q.Len() == 0 {
		return context.Canceled
	}
	return nil
}

func TestMisuse(t *testing.T) {
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{"zero PriorityQueue", func() { new(queue.PriorityQueue[int]).TryPut(1) },
			"gevent/queue: zero PriorityQueue used"},
		{"nil comparison", func() { queue.NewPriority[int](0, nil) },
			"gevent/queue: NewPriority: nil cmp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, tt.want) {
					t.Errorf("panic = %v, want %q", r, tt.want)
				}
			}()
			tt.f()
		})
	}
}

func TestCapFullEmpty(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for _, n := range []int{-1, 0, 1, 3} {
				q := k.make(n)
				if got, want := q.Cap(), max(n, 0); got != want {
					t.Errorf("Cap of maxsize %d = %d, want %d", n, got, want)
				}
				if !q.Empty() || q.Full() {
					t.Errorf("new queue: Empty = %v, Full = %v", q.Empty(), q.Full())
				}
				for i := range 5 {
					ok := q.TryPut(i)
					if want := n <= 0 || i < n; ok != want {
						t.Errorf("maxsize %d: TryPut #%d = %v, want %v", n, i, ok, want)
					}
				}
				if got, want := q.Full(), n > 0; got != want {
					t.Errorf("maxsize %d: Full after 5 puts = %v", n, got)
				}
				if got, want := q.Len(), min(5, max(n, 0)); n > 0 && got != want {
					t.Errorf("maxsize %d: Len = %d, want %d", n, got, want)
				}
			}
		})
	}
}

// TestShutdown ports _shutdown_all_methods_in_one_thread.
func TestShutdown(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		for _, k := range kinds {
			t.Run(fmt.Sprintf("%s/immediate=%v", k.name, immediate), func(t *testing.T) {
				run(t, func(ctx context.Context) error {
					q := k.make(0)
					q.Put(ctx, 1)
					q.TryPut(2)
					q.Shutdown(immediate)
					if err := q.Put(ctx, 3); !errors.Is(err, queue.ErrShutDown) {
						t.Errorf("Put after Shutdown = %v", err)
					}
					if q.TryPut(4) {
						t.Errorf("TryPut after Shutdown = true")
					}
					if !immediate {
						var got []int
						for range 2 {
							v, err := q.Get(ctx)
							if err != nil {
								t.Fatalf("Get of a queued item after Shutdown = %v", err)
							}
							got = append(got, v)
							q.TaskDone()
						}
						slices.Sort(got)
						if !slices.Equal(got, []int{1, 2}) {
							t.Errorf("got %v, want 1 and 2", got)
						}
					}
					if err := q.Join(ctx); err != nil {
						t.Errorf("Join = %v", err)
					}
					if msg := taskDonePanic(q); msg != taskDoneTooMany {
						t.Errorf("TaskDone with nothing unfinished panicked with %q, want %q", msg, taskDoneTooMany)
					}
					if _, err := q.Get(ctx); !errors.Is(err, queue.ErrShutDown) {
						t.Errorf("Get on empty shut down queue = %v", err)
					}
					if _, err := q.Peek(cancelled(ctx)); !errors.Is(err, queue.ErrShutDown) {
						t.Errorf("Peek on empty shut down queue = %v", err)
					}
					if _, ok := q.TryGet(); ok {
						t.Errorf("TryGet on empty shut down queue = true")
					}
					return nil
				})
			})
		}
	}
}

// TestShutdownWakesEveryone: blocked getters and putters, greenlets and
// plain goroutines alike, return ErrShutDown; blocked putters add nothing.
func TestShutdownWakesEveryone(t *testing.T) {
	run(t, func(ctx context.Context) error {
		empty := queue.New[int](0)
		full := queue.New[int](1)
		full.TryPut(0)
		var gs []gevent.Task
		for range 2 {
			gs = append(gs, spawn(ctx, empty.Get), spawn(ctx, empty.Peek),
				spawn(ctx, func(ctx context.Context) (int, error) { return 0, full.Put(ctx, 1) }))
		}
		errs := make(chan error, 2)
		// Plain goroutines: whether they block before Shutdown or call
		// after it, they must get ErrShutDown (and add nothing).
		go func() {
			_, err := empty.Get(context.Background())
			errs <- err
		}()
		go func() {
			errs <- full.Put(context.Background(), 2)
		}()
		gevent.Yield(ctx)
		empty.Shutdown(false)
		full.Shutdown(false)
		for _, g := range gs {
			if err := g.Join(ctx); err != nil {
				t.Fatal(err)
			}
			if !errors.Is(g.Err(), queue.ErrShutDown) {
				t.Errorf("%v: err = %v, want ErrShutDown", g, g.Err())
			}
		}
		for range 2 {
			if err := <-errs; !errors.Is(err, queue.ErrShutDown) {
				t.Errorf("goroutine: err = %v, want ErrShutDown", err)
			}
		}
		if v, ok := full.TryGet(); v != 0 || !ok {
			t.Errorf("TryGet = %v, %v; want the item queued before Shutdown", v, ok)
		}
		if v, ok := full.TryGet(); ok {
			t.Errorf("TryGet = %v: a blocked putter's item was added", v)
		}
		return nil
	})
}

func TestTaskDoneJoin(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.New[int](0)
		for i := range 3 {
			q.Put(ctx, i)
		}
		joined := false
		j := spawn(ctx, func(ctx context.Context) (int, error) {
			err := q.Join(ctx)
			joined = true
			return 0, err
		})
		for i := range 3 {
			q.Get(ctx)
			gevent.Yield(ctx)
			if joined {
				t.Fatalf("Join returned after %d of 3 TaskDone calls", i)
			}
			q.TaskDone()
		}
		if _, err := j.Get(ctx); err != nil {
			t.Errorf("Join = %v", err)
		}
		if msg := taskDonePanic(q); msg != taskDoneTooMany {
			t.Errorf("one TaskDone too many panicked with %q, want %q", msg, taskDoneTooMany)
		}
		// Items handed straight to a waiting getter count too
		// (test_task_done).
		g := spawn(ctx, q.Get)
		gevent.Yield(ctx)
		q.Put(ctx, 9)
		g.Join(ctx)
		tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		if err := q.Join(tctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Join with one unfinished item = %v, want a timeout", err)
		}
		q.TaskDone()
		if err := q.Join(ctx); err != nil {
			t.Errorf("Join = %v", err)
		}
		return nil
	})
}

// TestImmediateShutdownReleasesJoin: dropped items count as done.
func TestImmediateShutdownReleasesJoin(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.NewLifo[int](0)
		q.Put(ctx, 1)
		q.Put(ctx, 2)
		q.Get(ctx) // taken but not done: Join still waits for it
		j := spawn(ctx, func(ctx context.Context) (int, error) { return 0, q.Join(ctx) })
		gevent.Yield(ctx)
		q.Shutdown(true)
		gevent.Yield(ctx)
		if j.Ready() {
			t.Fatalf("Join returned with one item taken and not done")
		}
		q.TaskDone()
		if _, err := j.Get(ctx); err != nil {
			t.Errorf("Join = %v", err)
		}
		return nil
	})
}

func TestAll(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				q := k.make(0)
				for _, v := range []int{1, 2, 3} {
					q.Put(ctx, v)
				}
				// Breaking out of the loop leaves the rest queued.
				var first int
				for v := range q.All(ctx) {
					first = v
					break
				}
				if q.Len() != 2 {
					t.Fatalf("after breaking on %d, Len = %d, want 2", first, q.Len())
				}
				// A cancelled ctx ends the sequence before taking anything.
				for v := range q.All(cancelled(ctx)) {
					t.Errorf("All with a cancelled ctx yielded %d", v)
				}
				if q.Len() != 2 {
					t.Fatalf("All with a cancelled ctx took items: Len = %d", q.Len())
				}
				// The sequence waits for items and ends at Shutdown, after
				// the queued ones.
				gevent.SpawnRaw(ctx, func(ctx context.Context) {
					q.Put(ctx, 4)
					gevent.Yield(ctx)
					q.Shutdown(false)
				})
				got := []int{first}
				for v := range q.All(ctx) {
					got = append(got, v)
				}
				slices.Sort(got)
				if !slices.Equal(got, []int{1, 2, 3, 4}) {
					t.Errorf("All = %v, want 1..4", got)
				}
				return nil
			})
		})
	}
}

// TestAllEndsWhenCtxEnds: a waiting iteration ends when its ctx is cancelled
// and takes nothing afterwards.
func TestAllEndsWhenCtxEnds(t *testing.T) {
	run(t, func(ctx context.Context) error {
		q := queue.New[int](0)
		// gevent's own context: its cancel takes effect at once (a foreign
		// context's cancellation reaches a parked greenlet asynchronously,
		// and a Put racing with it may legitimately win).
		ictx, cancel := gevent.WithTimeout(ctx, time.Hour)
		defer cancel()
		n := 0
		gevent.SpawnRaw(ctx, func(ctx context.Context) {
			q.Put(ctx, 1)
			gevent.Yield(ctx)
			cancel()
			q.Put(ctx, 2)
		})
		for range q.All(ictx) {
			n++
		}
		if n != 1 || q.Len() != 1 {
			t.Errorf("yielded %d items, Len = %d; want 1, 1", n, q.Len())
		}
		return nil
	})
}

// TestPlainGoroutines: producers and consumers that are plain goroutines
// (ctx without a greenlet), on a small bounded queue.
func TestPlainGoroutines(t *testing.T) {
	const producers, consumers, per = 4, 3, 500
	q := queue.New[int](2)
	ctx := context.Background()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range per {
				if err := q.Put(ctx, p*per+i); err != nil {
					t.Errorf("Put = %v", err)
				}
			}
		})
	}
	got := make([][]int, consumers)
	var cg sync.WaitGroup
	for c := range consumers {
		cg.Go(func() {
			for v := range q.All(ctx) {
				got[c] = append(got[c], v)
				q.TaskDone()
			}
		})
	}
	wg.Wait()
	if err := q.Join(ctx); err != nil {
		t.Errorf("Join = %v", err)
	}
	q.Shutdown(false)
	cg.Wait()
	all := slices.Concat(got...)
	slices.Sort(all)
	if len(all) != producers*per {
		t.Fatalf("got %d items, want %d", len(all), producers*per)
	}
	for i, v := range all {
		if v != i {
			t.Fatalf("item %d = %d: lost or duplicated", i, v)
		}
	}
}

// TestAcrossHubs: greenlets of two hubs and a plain goroutine share queues.
func TestAcrossHubs(t *testing.T) {
	h1, h2 := gevent.NewHub(), gevent.NewHub()
	var served sync.WaitGroup
	for _, h := range []*gevent.Hub{h1, h2} {
		served.Go(func() { h.Serve(context.Background()) })
	}
	defer func() {
		h1.Stop()
		h2.Stop()
		served.Wait()
	}()
	const n = 300
	ping, pong := queue.New[int](1), new(queue.Channel[int])
	// Hub 1 sends on ping, hub 2 echoes onto pong, the test goroutine reads.
	sender := gevent.Spawn(h1.Context(), func(ctx context.Context) (int, error) {
		for i := range n {
			if err := ping.Put(ctx, i); err != nil {
				return i, err
			}
		}
		ping.Shutdown(false)
		return n, nil
	})
	echo := gevent.Spawn(h2.Context(), func(ctx context.Context) (int, error) {
		k := 0
		for v := range ping.All(ctx) {
			if err := pong.Put(ctx, v); err != nil {
				return k, err
			}
			k++
		}
		pong.Shutdown(false)
		return k, nil
	})
	ctx := context.Background()
	for i := range n {
		v, err := pong.Get(ctx)
		if v != i || err != nil {
			t.Fatalf("Get = %v, %v; want %d", v, err, i)
		}
	}
	if _, err := pong.Get(ctx); !errors.Is(err, queue.ErrShutDown) {
		t.Errorf("Get after the echo ended = %v", err)
	}
	for _, g := range []*gevent.Greenlet[int]{sender, echo} {
		if k, err := g.Get(ctx); k != n || err != nil {
			t.Errorf("%v = %d, %v", g, k, err)
		}
	}
}
