package lock_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/lock"
)

// wantPanic runs f and checks that it panics with want.
func wantPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		p := recover()
		if s, _ := p.(string); s != want {
			t.Fatalf("panic = %v, want %q", p, want)
		}
		if !strings.HasPrefix(want, "gevent/lock: ") {
			t.Fatalf("panic message %q lacks the gevent/lock: prefix", want)
		}
	}()
	f()
}

func TestNewSemaphoreNegative(t *testing.T) {
	wantPanic(t, "gevent/lock: NewSemaphore with a negative count", func() { lock.NewSemaphore(-1) })
	wantPanic(t, "gevent/lock: NewBoundedSemaphore with a negative count", func() { lock.NewBoundedSemaphore(-1) })
	var s lock.Semaphore
	wantPanic(t, "gevent/lock: OnReady: nil f", func() { s.OnReady(nil) })
}

func TestSemaphoreZeroValue(t *testing.T) {
	var s lock.Semaphore
	if s.Value() != 0 || !s.Locked() || s.Ready() || s.TryAcquire() {
		t.Fatal("zero Semaphore is not an empty semaphore")
	}
	s.Release()
	s.Release() // over-release is allowed, as in gevent
	if s.Value() != 2 || s.Locked() || !s.Ready() {
		t.Fatalf("Value() = %d after two Releases, want 2", s.Value())
	}
	//lint:ignore SA4000 each TryAcquire takes a unit: the repeated calls are the test
	if !s.TryAcquire() || !s.TryAcquire() || s.TryAcquire() {
		t.Fatal("TryAcquire did not take exactly the two units")
	}
}

// Acquire never switches when a unit is free, even when others wait.
func TestSemaphoreAcquireFreeDoesNotSwitch(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		s := lock.NewSemaphore(2)
		ran := false
		gevent.Go(ctx, func(context.Context) error { ran = true; return nil })
		for range 2 {
			if err := s.Acquire(ctx); err != nil {
				return err
			}
		}
		if ran {
			return errors.New("Acquire of a free unit switched")
		}
		// Wait with nothing free parks; the spawned greenlet runs, then
		// nothing can release: ErrLoopExit (gevent's LoopExit).
		if n, err := s.Wait(ctx); n != 0 || !errors.Is(err, gevent.ErrLoopExit) {
			return fmt.Errorf("Wait = %d, %v; want 0, ErrLoopExit", n, err)
		}
		if !ran {
			return errors.New("the spawned greenlet never ran")
		}
		return nil
	})
}

// gevent's issue 39: acquire with a timeout fails, and takes nothing.
func TestSemaphoreAcquireTimeout(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var s lock.Semaphore
		tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		err := s.Acquire(tctx)
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, context.Cause(tctx)) {
			return fmt.Errorf("Acquire = %v, want the context's Timeout", err)
		}
		s.Release()
		if s.Value() != 1 {
			return fmt.Errorf("Value() = %d after a timed-out Acquire and a Release, want 1", s.Value())
		}
		// A cancelled context fails at once only when Acquire would park.
		cctx, ccancel := context.WithCancel(ctx)
		ccancel()
		if err := s.Acquire(cctx); err != nil {
			return fmt.Errorf("Acquire(cancelled) of a free unit = %v, want nil", err)
		}
		if err := s.Acquire(cctx); !errors.Is(err, context.Canceled) {
			return fmt.Errorf("Acquire(cancelled) = %v, want Canceled", err)
		}
		return nil
	})
}

func TestSemaphoreFIFO(t *testing.T) {
	for _, batch := range []bool{false, true} {
		t.Run(fmt.Sprint("batch=", batch), func(t *testing.T) {
			geventtest.Run(t, func(ctx context.Context) error {
				var s lock.Semaphore
				var order []int
				var tasks []gevent.Task
				const n = 8
				for i := range n {
					tasks = append(tasks, gevent.Go(ctx, func(ctx context.Context) error {
						if err := s.Acquire(ctx); err != nil {
							return err
						}
						order = append(order, i)
						return nil
					}))
				}
				gevent.Yield(ctx)
				for range n {
					s.Release()
					if !batch {
						gevent.Yield(ctx)
					}
				}
				if _, err := gevent.JoinAll(ctx, tasks, gevent.RaiseError()); err != nil {
					return err
				}
				if want := []int{0, 1, 2, 3, 4, 5, 6, 7}; !slices.Equal(order, want) {
					return fmt.Errorf("acquire order = %v, want %v", order, want)
				}
				if s.Value() != 0 {
					return fmt.Errorf("Value() = %d, want 0", s.Value())
				}
				return nil
			})
		})
	}
}

// gevent's probe: release(); acquire(blocking=False) in the same greenlet
// returns True and both waiters stay queued (barging).
func TestSemaphoreReleaserBarges(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var s lock.Semaphore
		var got []string
		waiter := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				if err := s.Acquire(ctx); err != nil {
					return err
				}
				got = append(got, name)
				return nil
			}
		}
		a, b := gevent.Go(ctx, waiter("a")), gevent.Go(ctx, waiter("b"))
		gevent.Yield(ctx)
		s.Release()
		if !s.TryAcquire() {
			return errors.New("TryAcquire right after Release = false, want true (barging)")
		}
		gevent.Yield(ctx) // the notification pass finds no unit
		if len(got) != 0 || s.Value() != 0 {
			return fmt.Errorf("waiters acquired %v, Value %d; want none, 0", got, s.Value())
		}
		// Acquire barges the same way.
		s.Release()
		if err := s.Acquire(ctx); err != nil {
			return err
		}
		gevent.Yield(ctx)
		if len(got) != 0 {
			return fmt.Errorf("waiters acquired %v after a barging Acquire", got)
		}
		s.Release()
		s.Release()
		if _, err := gevent.JoinAll(ctx, []gevent.Task{a, b}, gevent.RaiseError()); err != nil {
			return err
		}
		if want := []string{"a", "b"}; !slices.Equal(got, want) {
			return fmt.Errorf("acquire order = %v, want %v", got, want)
		}
		return nil
	})
}

// The waiter the notification pass picks takes its unit and resumes inside
// that pass, before the releaser (queued after the pass) runs again: gevent's
// notifier switches to the waiter right there. Nobody can barge in between.
func TestSemaphoreWaiterResumesInsidePass(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var s lock.Semaphore
		var order []string
		a := gevent.Go(ctx, func(ctx context.Context) error {
			if err := s.Acquire(ctx); err != nil {
				return err
			}
			order = append(order, "a acquired")
			return nil
		})
		gevent.Yield(ctx) // a parks
		s.Release()
		gevent.Go(ctx, func(ctx context.Context) error {
			order = append(order, "spawned after release")
			return nil
		})
		gevent.Yield(ctx) // the pass runs, and a inside it; then the spawn; then main
		order = append(order, "main")
		if want := []string{"a acquired", "spawned after release", "main"}; !slices.Equal(order, want) {
			return fmt.Errorf("order = %v, want %v", order, want)
		}
		if s.TryAcquire() {
			return errors.New("TryAcquire took the unit handed to the woken waiter")
		}
		return a.Join(ctx)
	})
}

// A waiter killed or timed out before the pass reaches it takes no unit: the
// next waiter gets it.
func TestSemaphoreCancelledWaiterLosesNoUnit(t *testing.T) {
	for _, how := range []string{"kill", "timeout"} {
		t.Run(how, func(t *testing.T) {
			geventtest.Run(t, func(ctx context.Context) error {
				var s lock.Semaphore
				errBoom := errors.New("boom")
				var quitter *gevent.Greenlet[struct{}]
				switch how {
				case "kill":
					quitter = gevent.Go(ctx, s.Acquire)
				case "timeout":
					quitter = gevent.Go(ctx, func(ctx context.Context) error {
						tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
						defer cancel()
						return s.Acquire(tctx)
					})
				}
				stayer := gevent.Go(ctx, s.Acquire)
				gevent.Yield(ctx) // both park, quitter first
				switch how {
				case "kill":
					gevent.Kill(context.Background(), quitter, gevent.KillError(errBoom))
				case "timeout":
					if err := quitter.Join(ctx); err != nil {
						return err
					}
				}
				s.Release() // the quitter is still first in line when killed
				if err := stayer.Join(ctx); err != nil {
					return err
				}
				if err := quitter.Join(ctx); err != nil {
					return err
				}
				if stayer.Err() != nil {
					return fmt.Errorf("stayer: %v", stayer.Err())
				}
				if quitter.Err() == nil {
					return errors.New("the quitter acquired")
				}
				if s.Value() != 0 {
					return fmt.Errorf("Value() = %d, want 0", s.Value())
				}
				return nil
			})
		})
	}
}

func TestSemaphoreWait(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var s lock.Semaphore
		watcher := gevent.Spawn(ctx, s.Wait)
		gevent.Yield(ctx)
		s.Release()
		if n, err := watcher.Get(ctx); n != 1 || err != nil {
			return fmt.Errorf("Wait = %d, %v; want 1, nil", n, err)
		}
		if s.Value() != 1 {
			return fmt.Errorf("Wait took a unit: Value() = %d", s.Value())
		}
		if n, err := s.Wait(ctx); n != 1 || err != nil {
			return fmt.Errorf("Wait on a free unit = %d, %v", n, err)
		}
		s.TryAcquire()
		// A watcher and an acquirer in one pass: the watcher is woken, the
		// acquirer takes the unit, and the watcher sees 0 (gevent's wait
		// "may return 0").
		watcher = gevent.Spawn(ctx, s.Wait)
		acquirer := gevent.Go(ctx, s.Acquire)
		gevent.Yield(ctx)
		s.Release()
		if n, err := watcher.Get(ctx); n != 0 || err != nil {
			return fmt.Errorf("Wait = %d, %v; want 0, nil", n, err)
		}
		if err := acquirer.Join(ctx); err != nil || acquirer.Err() != nil {
			return fmt.Errorf("acquirer: %v %v", err, acquirer.Err())
		}
		tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		if n, err := s.Wait(tctx); n != 0 || !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("Wait(timeout) = %d, %v", n, err)
		}
		return nil
	})
}

func TestSemaphoreOnReadyAndWaitables(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		// gevent's issue 1287: waiting on a ready semaphore returns at once.
		free := lock.NewSemaphore(1)
		if got, err := gevent.Wait(ctx, []gevent.Waitable{free}); err != nil || len(got) != 1 {
			return fmt.Errorf("Wait(ready semaphore) = %v, %v", got, err)
		}
		// Iwait over an Event and a Semaphore, made ready in turn by
		// another greenlet.
		var s lock.Semaphore
		var ev event.Event
		gevent.Go(ctx, func(ctx context.Context) error {
			s.Release()
			gevent.Yield(ctx)
			ev.Set()
			return nil
		})
		var order []gevent.Waitable
		for w := range gevent.Iwait(ctx, []gevent.Waitable{&ev, &s}) {
			order = append(order, w)
		}
		if len(order) != 2 || order[0] != gevent.Waitable(&s) || order[1] != gevent.Waitable(&ev) {
			return fmt.Errorf("Iwait order = %v, want [semaphore event]", order)
		}
		if s.Value() != 1 {
			return fmt.Errorf("Iwait took a unit: Value() = %d", s.Value())
		}
		// OnReady bookkeeping: gevent's test_release_twice.
		var t lock.Semaphore
		var calls []string
		t.OnReady(func() { calls = append(calls, "a") })
		remove := t.OnReady(func() { calls = append(calls, "x") })
		if !remove() || remove() {
			return errors.New("remove() did not report pending exactly once")
		}
		t.Release()
		t.OnReady(func() { calls = append(calls, "b") }) // ready: runs at once
		t.Release()
		if want := []string{"a", "b"}; !slices.Equal(calls, want) {
			return fmt.Errorf("callbacks = %v, want %v", calls, want)
		}
		return nil
	})
}

func TestSemaphoreCrossGoroutine(t *testing.T) {
	t.Run("goroutine releases, greenlet acquires", func(t *testing.T) {
		h := gevent.NewHub()
		served := make(chan error, 1)
		go func() { served <- h.Serve(context.Background()) }()
		var s lock.Semaphore
		g := gevent.Go(h.Context(), func(ctx context.Context) error {
			for range 100 {
				if err := s.Acquire(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		for range 100 {
			s.Release()
		}
		if err := g.Join(context.Background()); err != nil || g.Err() != nil {
			t.Fatalf("Join = %v, %v", err, g.Err())
		}
		h.Stop()
		if err := <-served; err != nil {
			t.Fatal(err)
		}
		if s.Value() != 0 {
			t.Fatalf("Value() = %d, want 0", s.Value())
		}
	})
	t.Run("greenlet releases, goroutine acquires", func(t *testing.T) {
		var s lock.Semaphore
		done := make(chan error, 1)
		go func() {
			for range 100 {
				if err := s.Acquire(context.Background()); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		geventtest.Run(t, func(ctx context.Context) error {
			for range 100 {
				s.Release()
				gevent.Yield(ctx)
			}
			return nil
		})
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("two hubs", func(t *testing.T) {
		var ping, pong lock.Semaphore
		var wg, started sync.WaitGroup
		const rounds = 300
		errs := make(chan error, 2)
		hub := func(body func(ctx context.Context) error) {
			defer wg.Done()
			errs <- gevent.Run(context.Background(), func(ctx context.Context) error {
				// Both hubs must run before either waits (a lone hub
				// whose main waits with nothing to wake it gets
				// ErrLoopExit).
				started.Done()
				started.Wait()
				return body(ctx)
			})
		}
		wg.Add(2)
		started.Add(2)
		go hub(func(ctx context.Context) error {
			for range rounds {
				ping.Release()
				if err := pong.Acquire(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		go hub(func(ctx context.Context) error {
			for range rounds {
				if err := ping.Acquire(ctx); err != nil {
					return err
				}
				pong.Release()
			}
			return nil
		})
		wg.Wait()
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if ping.Value() != 0 || pong.Value() != 0 {
			t.Fatalf("Values = %d, %d; want 0, 0", ping.Value(), pong.Value())
		}
	})
}

// Hammer: goroutines and greenlets of two hubs acquire with random short
// timeouts; at most n hold a unit at once and, at the end, no unit is lost.
func TestSemaphoreNoUnitLost(t *testing.T) {
	const n = 3
	s := lock.NewSemaphore(n)
	var holders, maxHolders atomic.Int32
	var acquired atomic.Int64
	work := func(ctx context.Context, i int) error {
		for j := range 200 {
			d := time.Duration((i*7+j)%5) * 20 * time.Microsecond
			var actx context.Context
			var cancel context.CancelFunc
			if gevent.Current(ctx) != nil {
				actx, cancel = gevent.WithTimeout(ctx, d)
			} else {
				actx, cancel = context.WithTimeout(ctx, d)
			}
			err := s.Acquire(actx)
			cancel()
			if err != nil {
				if !errors.Is(err, context.DeadlineExceeded) {
					return err
				}
				continue
			}
			acquired.Add(1)
			h := holders.Add(1)
			for {
				m := maxHolders.Load()
				if h <= m || maxHolders.CompareAndSwap(m, h) {
					break
				}
			}
			if j%2 == 0 {
				gevent.Yield(ctx)
			}
			holders.Add(-1)
			s.Release()
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- work(context.Background(), i)
		}()
	}
	for hub := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- gevent.Run(context.Background(), func(ctx context.Context) error {
				var tasks []gevent.Task
				for i := range 3 {
					tasks = append(tasks, gevent.Go(ctx, func(ctx context.Context) error {
						return work(ctx, 10*hub+i)
					}))
				}
				_, err := gevent.JoinAll(ctx, tasks, gevent.RaiseError())
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		// A hub whose greenlets all wait for plain goroutines may see
		// ErrLoopExit; that is the only other outcome allowed.
		if err != nil && !errors.Is(err, gevent.ErrLoopExit) {
			t.Fatal(err)
		}
	}
	if got := s.Value(); got != n {
		t.Fatalf("Value() = %d at the end, want %d (a unit was lost or made)", got, n)
	}
	if m := maxHolders.Load(); m > n {
		t.Fatalf("%d holders at once, want at most %d", m, n)
	}
	if acquired.Load() == 0 {
		t.Fatal("nobody ever acquired")
	}
}
