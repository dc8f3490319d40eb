package pool_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/internal/leakcheck"
	"github.com/gevent-go/gevent/pool"
)

var errDivide = errors.New("division by zero")

func divide(_ context.Context, x int) (float64, error) {
	if x == 0 {
		return 0, errDivide
	}
	return 1 / float64(x), nil
}

type pair[T any] struct {
	v   T
	err error
}

func collect[T any](seq func(func(T, error) bool)) []pair[T] {
	var out []pair[T]
	for v, err := range seq {
		out = append(out, pair[T]{v, err})
	}
	return out
}

// Ported from test__pool.py TestErrorInHandler: a failed item yields its
// error at its position and later items still arrive.
func TestImapErrorAtItsPosition(t *testing.T) {
	for _, tc := range []struct {
		name string
		imap func(context.Context, pool.Spawner, iter.Seq[int], func(context.Context, int) (float64, error), ...pool.MapOption) iter.Seq2[float64, error]
	}{
		{"Imap", pool.Imap[int, float64]},
		{"ImapUnordered", pool.ImapUnordered[int, float64]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				got := collect(tc.imap(ctx, pool.NewPool(1), values(1, 0, 2), divide))
				want := []pair[float64]{{1, nil}, {0, errDivide}, {0.5, nil}}
				if !slices.Equal(got, want) {
					return fmt.Errorf("%s = %v, want %v", tc.name, got, want)
				}
				return nil
			})
		})
	}
}

func values[T any](vs ...T) func(func(T) bool) {
	return func(yield func(T) bool) {
		for _, v := range vs {
			if !yield(v) {
				return
			}
		}
	}
}

// Imap yields in input order whatever the completion order; ImapUnordered in
// completion order. The completion order is forced with events: item i
// finishes when gate[i] is set, and the loop body opens the next gate.
func TestImapOrders(t *testing.T) {
	finish := []int{2, 0, 3, 1} // the order items finish in
	for _, ordered := range []bool{true, false} {
		t.Run(fmt.Sprint("ordered=", ordered), func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				gates := make([]event.Event, len(finish))
				fn := func(ctx context.Context, i int) (string, error) {
					if err := gates[i].Wait(ctx); err != nil {
						return "", err
					}
					return strconv.Itoa(i), nil
				}
				seq := pool.ImapUnordered(ctx, pool.NewPool(len(finish)), count(len(finish)), fn)
				want := []string{"2", "0", "3", "1"}
				if ordered {
					seq = pool.Imap(ctx, pool.NewPool(len(finish)), count(len(finish)), fn)
					want = []string{"0", "1", "2", "3"}
				}
				// Open the gates one by one, in finish order, each after the
				// previous item has finished.
				opener := gevent.Go(ctx, func(ctx context.Context) error {
					for _, i := range finish {
						gates[i].Set()
						for range 3 {
							gevent.Yield(ctx)
						}
					}
					return nil
				})
				var got []string
				for v, err := range seq {
					if err != nil {
						return err
					}
					got = append(got, v)
				}
				if !slices.Equal(got, want) {
					return fmt.Errorf("got %v, want %v", got, want)
				}
				return opener.Join(ctx)
			})
		})
	}
}

// Ported from test__pool.py test_imap_unordered_sleep: with a pool of one,
// completion order is input order; with three, the shortest sleep first.
// (The long sleep is long so that a stalled machine cannot reorder it.)
func TestImapUnorderedCompletionOrderSleep(t *testing.T) {
	sleep := func(ctx context.Context, x int) (string, error) {
		return strconv.Itoa(x), gevent.Sleep(ctx, time.Duration(x)*time.Millisecond)
	}
	run(t, func(ctx context.Context) error {
		for _, tc := range []struct {
			size int
			want []string
		}{{1, []string{"100", "1", "2"}}, {3, []string{"1", "2", "100"}}} {
			var got []string
			for v, err := range pool.ImapUnordered(ctx, pool.NewPool(tc.size), values(100, 1, 2), sleep) {
				if err != nil {
					return err
				}
				got = append(got, v)
			}
			if !slices.Equal(got, tc.want) {
				return fmt.Errorf("size %d: got %v, want %v", tc.size, got, tc.want)
			}
		}
		return nil
	})
}

func TestImapEmptyAndLarge(t *testing.T) {
	run(t, func(ctx context.Context) error {
		sq := func(_ context.Context, i int) (int, error) { return i * i, nil }
		for _, size := range []int{1, 3, 10} {
			p := pool.NewPool(size)
			if got := collect(pool.Imap(ctx, p, count(0), sq)); len(got) != 0 {
				return fmt.Errorf("Imap of nothing = %v", got)
			}
			if got := collect(pool.ImapUnordered(ctx, p, count(0), sq)); len(got) != 0 {
				return fmt.Errorf("ImapUnordered of nothing = %v", got)
			}
			if got, err := pool.Map(ctx, p, count(0), sq); len(got) != 0 || err != nil {
				return fmt.Errorf("Map of nothing = %v, %v", got, err)
			}
			var got []int
			for v, err := range pool.Imap(ctx, p, count(1000), sq) {
				if err != nil {
					return err
				}
				got = append(got, v)
			}
			if !slices.Equal(got, squares(1000)) {
				return fmt.Errorf("Imap of 1000 (size %d) out of order", size)
			}
			got = got[:0]
			for v, err := range pool.ImapUnordered(ctx, p, count(1000), sq) {
				if err != nil {
					return err
				}
				got = append(got, v)
			}
			slices.Sort(got)
			if !slices.Equal(got, squares(1000)) {
				return fmt.Errorf("ImapUnordered of 1000 (size %d) lost items", size)
			}
			// Map past several growths of its results and visits of the
			// Go scheduler (schedPoint).
			if got, err := pool.Map(ctx, p, count(1000), sq); err != nil || !slices.Equal(got, squares(1000)) {
				return fmt.Errorf("Map of 1000 (size %d) = %d results, %v", size, len(got), err)
			}
		}
		return nil
	})
}

// Ported from test__pool.py TestErrorInIterator and issues 311/423: items
// that panic end the sequence with the panic after the results before it;
// items that block before ending are waited for.
func TestImapItemsPanicAndBlock(t *testing.T) {
	run(t, func(ctx context.Context) error {
		id := func(_ context.Context, i int) (int, error) { return i, nil }
		badItems := func(yield func(int) bool) {
			if yield(1) && yield(2) {
				panic("items broke")
			}
		}
		got := collect(pool.ImapUnordered(ctx, pool.NewPool(3), badItems, id))
		var pe *gevent.PanicError
		if len(got) != 3 || got[0] != (pair[int]{1, nil}) || got[1] != (pair[int]{2, nil}) || !errors.As(got[2].err, &pe) {
			return fmt.Errorf("ImapUnordered over a panicking sequence = %v", got)
		}
		// Map pulls the items in the caller: the panic propagates, after
		// Map has killed the work it started.
		p := pool.NewPool(3)
		var killed atomic.Int64
		caller := gevent.Spawn(ctx, func(ctx context.Context) ([]int, error) {
			return pool.Map(ctx, p, func(yield func(int) bool) {
				yield(1)
				gevent.Yield(ctx) // item 1 starts
				panic("map items broke")
			}, func(ctx context.Context, i int) (int, error) {
				err := gevent.Sleep(ctx, time.Hour)
				if errors.Is(err, gevent.ErrGreenletExit) {
					killed.Add(1)
				}
				return i, err
			})
		})
		if _, err := caller.Get(ctx); !errors.As(err, &pe) || pe.Value != "map items broke" {
			return fmt.Errorf("Map over a panicking sequence = %v, want its panic", err)
		}
		if p.Len() != 0 || killed.Load() != 1 {
			return fmt.Errorf("after the panic: Len() = %d, killed %d; want 0, 1", p.Len(), killed.Load())
		}
		return nil
	})
}

func TestImapSlowItems(t *testing.T) {
	run(t, func(ctx context.Context) error {
		slow := func(yield func(int) bool) {
			for i := range 3 {
				if !yield(i) {
					return
				}
			}
			gevent.Sleep(ctx, 5*time.Millisecond) // the last item is "late"
		}
		sq := func(_ context.Context, i int) (int, error) { return i * i, nil }
		for _, seq := range []func(func(int, error) bool){
			pool.Imap(ctx, pool.NewPool(2), slow, sq),
			pool.ImapUnordered(ctx, pool.NewPool(2), slow, sq),
		} {
			var got []int
			for v, err := range seq {
				if err != nil {
					return err
				}
				got = append(got, v)
			}
			slices.Sort(got)
			if !slices.Equal(got, []int{0, 1, 4}) {
				return fmt.Errorf("got %v", got)
			}
		}
		return nil
	})
}

// Ported from test__pool.py test_imap_unordered_bounded_queue: with
// MaxSize(1) no more than one item runs ahead of the loop body.
func TestImapMaxSize(t *testing.T) {
	for _, ordered := range []bool{true, false} {
		run(t, func(ctx context.Context) error {
			var started atomic.Int64
			fn := func(_ context.Context, i int) (int, error) {
				started.Add(1)
				return i, nil
			}
			p := pool.NewPool(10)
			seq := pool.ImapUnordered(ctx, p, count(30), fn, pool.MaxSize(1))
			if ordered {
				seq = pool.Imap(ctx, p, count(30), fn, pool.MaxSize(1))
			}
			handed := int64(0)
			maxAhead := int64(0)
			for _, err := range seq {
				if err != nil {
					return err
				}
				handed++
				for range 5 { // a slow reader: let the producer run ahead
					gevent.Yield(ctx)
				}
				maxAhead = max(maxAhead, started.Load()-handed)
			}
			if handed != 30 || maxAhead != 1 {
				return fmt.Errorf("ordered=%v: handed %d, ran ahead by up to %d; want 30, 1", ordered, handed, maxAhead)
			}
			return nil
		})
	}
}

// Ported from test__pool.py TestErrorInHandler.test_map: Map returns the
// first error in input order, even when a later item fails first, and the
// results of the items that succeeded.
func TestMapFirstErrorInInputOrder(t *testing.T) {
	err3, err7 := errors.New("item 3"), errors.New("item 7")
	run(t, func(ctx context.Context) error {
		var failed7 event.Event
		var order []int
		fn := func(ctx context.Context, i int) (int, error) {
			switch i {
			case 3:
				if err := failed7.Wait(ctx); err != nil {
					return 0, err
				}
				order = append(order, 3)
				return 0, err3
			case 7:
				order = append(order, 7)
				failed7.Set()
				return 0, err7
			}
			return i * 10, nil
		}
		got, err := pool.Map(ctx, pool.NewPool(10), count(10), fn)
		if err != err3 {
			return fmt.Errorf("Map error = %v, want %v", err, err3)
		}
		if !slices.Equal(order, []int{7, 3}) {
			return fmt.Errorf("items failed in order %v, want [7 3]", order)
		}
		want := []int{0, 10, 20, 0, 40, 50, 60, 0, 80, 90}
		if !slices.Equal(got, want) {
			return fmt.Errorf("Map results = %v, want %v", got, want)
		}
		return nil
	})
}

// Breaking out of an Imap loop kills the work it started and its producer,
// frees the pool, and leaves no greenlet behind.
func TestImapEarlyBreakLeaksNothing(t *testing.T) {
	for _, ordered := range []bool{true, false} {
		t.Run(fmt.Sprint("ordered=", ordered), func(t *testing.T) {
			live := countLive()
			defer live.Stop()
			var killed atomic.Int64
			pulled := 0
			run(t, func(ctx context.Context) error {
				base := live.Live()
				p := pool.NewPool(3)
				items := func(yield func(int) bool) {
					for i := 0; ; i++ {
						pulled++
						if !yield(i) {
							return
						}
					}
				}
				fn := func(ctx context.Context, i int) (int, error) {
					if i == 0 {
						return 0, nil
					}
					err := gevent.Sleep(ctx, time.Hour)
					if errors.Is(err, gevent.ErrGreenletExit) {
						killed.Add(1)
					}
					return i, err
				}
				seq := pool.ImapUnordered(ctx, p, items, fn)
				if ordered {
					seq = pool.Imap(ctx, p, items, fn)
				}
				for v, err := range seq {
					if v != 0 || err != nil {
						return fmt.Errorf("first result = %d, %v", v, err)
					}
					break
				}
				pulledAtBreak := pulled
				if p.Len() != 0 || p.FreeCount() != 3 {
					return fmt.Errorf("after break: Len() = %d, FreeCount() = %d; want 0, 3", p.Len(), p.FreeCount())
				}
				gevent.Yield(ctx) // the producer sees its kill
				gevent.Yield(ctx)
				if n := live.Live(); n != base {
					return fmt.Errorf("%d greenlets alive after the break, want %d", n, base)
				}
				// Items 1 and 2 were running; item 3 took item 0's slot
				// but had not started, so it never runs.
				if k := killed.Load(); k != 2 {
					return fmt.Errorf("%d items saw their kill, want 2", k)
				}
				if pulled != pulledAtBreak {
					return fmt.Errorf("the producer pulled %d items after the break", pulled-pulledAtBreak)
				}
				return nil
			})
		})
	}
}

// A consumer whose context ends while it waits gets the cause as the last
// pair, and the work is cleaned up; the same from a plain goroutine.
func TestImapContextEndsLeaksNothing(t *testing.T) {
	live := countLive()
	defer live.Stop()
	h := gevent.NewHub(quiet())
	served := make(chan struct{})
	go func() { h.Serve(context.Background()); close(served) }()

	p := pool.NewPool(2)
	fn := func(ctx context.Context, i int) (int, error) {
		if i < 2 {
			return i, nil
		}
		return i, gevent.Sleep(ctx, time.Hour)
	}
	ctx, cancel := context.WithCancelCause(h.Context())
	defer cancel(nil)
	stop := errors.New("stop")
	var got []pair[int]
	for v, err := range pool.Imap(ctx, p, count(100), fn) {
		got = append(got, pair[int]{v, err})
		if len(got) == 2 {
			cancel(stop) // the next wait sees it
		}
	}
	if len(got) != 3 || got[0] != (pair[int]{0, nil}) || got[1] != (pair[int]{1, nil}) || got[2].err != stop {
		t.Fatalf("Imap with a context that ends = %v", got)
	}
	if p.Len() != 0 || p.FreeCount() != 2 {
		t.Fatalf("after: Len() = %d, FreeCount() = %d", p.Len(), p.FreeCount())
	}
	// The producer ends when the hub next runs it; a greenlet queued after
	// it checks.
	check := gevent.Spawn(h.Context(), func(ctx context.Context) (int64, error) {
		gevent.Yield(ctx)
		return live.Live() - 1, nil // not counting itself
	})
	if n, _ := check.Get(context.Background()); n != 0 {
		t.Fatalf("%d greenlets alive after the loop", n)
	}
	h.Stop()
	<-served
	if err := leakcheck.Find(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// Map with a context that ends kills the work it started and returns the
// cause.
func TestMapContextEnds(t *testing.T) {
	live := countLive()
	defer live.Stop()
	run(t, func(ctx context.Context) error {
		base := live.Live()
		fn := func(ctx context.Context, i int) (int, error) { return i, gevent.Sleep(ctx, time.Hour) }
		tctx, cancel := gevent.WithTimeout(ctx, 5*time.Millisecond)
		defer cancel()
		p := pool.NewPool(4)
		got, err := pool.Map(tctx, p, count(10), fn)
		if got != nil || !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("Map = %v, %v; want nil, a timeout", got, err)
		}
		gevent.Yield(ctx)
		if n := live.Live(); n != base || p.Len() != 0 {
			return fmt.Errorf("after: %d greenlets alive (want %d), Len() = %d", n, base, p.Len())
		}
		return nil
	})
}

// A context that has already ended yields its cause and starts nothing; one
// that ends while the producer waits for MaxSize stops the producer too.
func TestImapContextAlreadyEnded(t *testing.T) {
	live := countLive()
	defer live.Stop()
	run(t, func(ctx context.Context) error {
		base := live.Live()
		cctx, cancel := context.WithCancelCause(ctx)
		stop := errors.New("stop")
		cancel(stop)
		ran := false
		got := collect(pool.Imap(cctx, pool.NewPool(1), count(3), func(_ context.Context, i int) (int, error) {
			ran = true
			return i, nil
		}))
		if len(got) != 1 || got[0].err != stop || ran {
			return fmt.Errorf("Imap with an ended context = %v (ran %v)", got, ran)
		}

		tctx, cancelT := gevent.WithTimeout(ctx, 5*time.Millisecond)
		defer cancelT()
		var seen []int
		for v, err := range pool.ImapUnordered(tctx, pool.NewPool(4), count(10), func(ctx context.Context, i int) (int, error) {
			if i == 1 {
				return i, gevent.Sleep(ctx, time.Hour)
			}
			return i, nil
		}, pool.MaxSize(2)) {
			if err != nil {
				if !errors.Is(err, context.DeadlineExceeded) {
					return fmt.Errorf("last error = %v, want a timeout", err)
				}
				break
			}
			seen = append(seen, v)
		}
		gevent.Yield(ctx)
		gevent.Yield(ctx)
		if n := live.Live(); n != base {
			return fmt.Errorf("%d greenlets alive, want %d (seen %v)", n, base, seen)
		}
		return nil
	})
}

// A producer still waiting for a slot when the loop ends (the slot is held
// by work outside the loop) is killed, not left parked.
func TestImapEndKillsWaitingProducer(t *testing.T) {
	live := countLive()
	defer live.Stop()
	run(t, func(ctx context.Context) error {
		base := live.Live()
		p := pool.NewPool(1)
		var release event.Event
		blocker, _ := p.Spawn(ctx, func(ctx context.Context) error { return release.Wait(ctx) })
		tctx, cancel := gevent.WithTimeout(ctx, 2*time.Millisecond)
		defer cancel()
		got := collect(pool.Imap(tctx, p, count(5), identityInt))
		if len(got) != 1 || !errors.Is(got[0].err, context.DeadlineExceeded) {
			return fmt.Errorf("Imap behind a blocked pool = %v, want a timeout", got)
		}
		gevent.Yield(ctx)                  // the killed producer ends
		gevent.Yield(ctx)                  // and its end is counted
		if n := live.Live(); n != base+1 { // the blocker
			return fmt.Errorf("%d greenlets alive after the loop, want %d", n, base+1)
		}
		release.Set()
		return blocker.Join(ctx)
	})
}

func identityInt(_ context.Context, i int) (int, error) { return i, nil }
