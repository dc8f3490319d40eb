package pool_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/pool"
)

// Ported from test__pool.py TestCoroutinePool test_apply, test_apply_raises.
func TestApply(t *testing.T) {
	boom := errors.New("boom")
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(2)
		v, err := pool.Apply(ctx, p, func(context.Context) (string, error) { return "return value", nil })
		if v != "return value" || err != nil {
			return fmt.Errorf("Apply = %q, %v", v, err)
		}
		if _, err := pool.Apply(ctx, p, func(context.Context) (int, error) { return 0, boom }); err != boom {
			return fmt.Errorf("Apply of a failing function = %v, want %v", err, boom)
		}
		var g pool.Group
		if v, err := pool.Apply(ctx, &g, func(context.Context) (int, error) { return 7, nil }); v != 7 || err != nil {
			return fmt.Errorf("Apply on a Group = %d, %v", v, err)
		}
		return nil
	})
}

// Ported from test__pool.py test_reentrant: Apply from a member of a full
// pool runs synchronously instead of deadlocking.
func TestApplyReentrant(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(1)
		var inner gevent.Task
		v, err := pool.Apply(ctx, p, func(ctx context.Context) (int, error) {
			return pool.Apply(ctx, p, func(ctx context.Context) (int, error) {
				inner = gevent.Current(ctx)
				return 5 + 1, nil
			})
		})
		if v != 6 || err != nil {
			return fmt.Errorf("nested Apply = %d, %v; want 6, nil", v, err)
		}
		if inner == nil {
			return errors.New("the nested function did not run in a greenlet")
		}
		var ev event.Event
		pool.ApplyAsync(ctx, p, func(context.Context) (struct{}, error) { ev.Set(); return struct{}{}, nil })
		return ev.Wait(ctx)
	})
}

// Apply whose context ends kills the member it started.
func TestApplyContextEnds(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(1)
		tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		_, err := pool.Apply(tctx, p, func(ctx context.Context) (int, error) {
			return 0, gevent.Sleep(ctx, time.Hour)
		})
		if !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("Apply = %v, want a timeout", err)
		}
		if err := p.Join(ctx); err != nil {
			return err
		}
		return nil
	})
}

// Ported from test__pool.py PoolBasicTests.test_execute_async: ApplyAsync
// never waits; on a full pool its greenlet runs outside the pool and feeds
// the pool as slots free.
func TestApplyAsyncNeverWaits(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(2)
		var r []int
		push := func(i int) func(context.Context) (int, error) {
			return func(context.Context) (int, error) { r = append(r, i); return i, nil }
		}
		first, err := pool.Spawn(ctx, p, push(1))
		if err != nil || p.FreeCount() != 1 {
			return fmt.Errorf("Spawn = %v, FreeCount() = %d", err, p.FreeCount())
		}
		if v, err := first.Get(ctx); v != 1 || err != nil {
			return fmt.Errorf("Get = %d, %v", v, err)
		}
		gevent.Yield(ctx)
		if p.FreeCount() != 2 {
			return fmt.Errorf("FreeCount() = %d after the member ended, want 2", p.FreeCount())
		}
		a2 := pool.ApplyAsync(ctx, p, push(2))
		if p.FreeCount() != 1 || !p.Contains(a2) {
			return fmt.Errorf("FreeCount() = %d, want 1, and a member", p.FreeCount())
		}
		a3 := pool.ApplyAsync(ctx, p, push(3))
		a4 := pool.ApplyAsync(ctx, p, push(4)) // full: runs outside, no wait
		if p.FreeCount() != 0 || p.Contains(a4) || !slices.Equal(r, []int{1}) {
			return fmt.Errorf("FreeCount() = %d, a4 member %v, r = %v", p.FreeCount(), p.Contains(a4), r)
		}
		if _, err := gevent.JoinAll(ctx, []gevent.Task{a2, a3, a4}, gevent.RaiseError()); err != nil {
			return err
		}
		slices.Sort(r)
		if !slices.Equal(r, []int{1, 2, 3, 4}) {
			return fmt.Errorf("r = %v", r)
		}
		if v, err := a4.Get(ctx); v != 4 || err != nil {
			return fmt.Errorf("a4.Get = %d, %v", v, err)
		}
		return nil
	})
}

// Ported from test__pool.py test_multiple_coros.
func TestPoolMultipleCoros(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ev event.Event
		var results []string
		p := pool.NewPool(2)
		done, _ := p.Spawn(ctx, func(ctx context.Context) error {
			results = append(results, "cons1")
			if err := ev.Wait(ctx); err != nil {
				return err
			}
			results = append(results, "cons2")
			return nil
		})
		pool.ApplyAsync(ctx, p, func(ctx context.Context) (struct{}, error) {
			gevent.Sleep(ctx, time.Millisecond)
			results = append(results, "prod")
			ev.Set()
			return struct{}{}, nil
		})
		if err := done.Join(ctx); err != nil {
			return err
		}
		if want := []string{"cons1", "prod", "cons2"}; !slices.Equal(results, want) {
			return fmt.Errorf("results = %v, want %v", results, want)
		}
		return nil
	})
}

// A pool used as a server's spawner: accept while not full, else wait for a
// slot; the handlers never exceed the bound.
func TestPoolAsServerSpawner(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(3)
		var m maxTracker
		var s pool.Spawner = p
		for conn := range 20 {
			if s.Full() {
				if _, err := s.WaitAvailable(ctx); err != nil {
					return err
				}
			}
			if _, err := s.Spawn(ctx, func(ctx context.Context) error {
				m.enter()
				defer m.exit()
				for range conn % 4 {
					gevent.Yield(ctx)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if err := p.Join(ctx); err != nil {
			return err
		}
		if mx := m.max.Load(); mx != 3 {
			return fmt.Errorf("max concurrency = %d, want 3", mx)
		}
		return nil
	})
}
