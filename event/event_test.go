package event_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
)

func TestEventZeroValue(t *testing.T) {
	var ev event.Event
	if ev.IsSet() || ev.Ready() {
		t.Fatal("zero Event is set")
	}
	ev.Set()
	if !ev.IsSet() || !ev.Ready() {
		t.Fatal("IsSet() = false after Set")
	}
	ev.Set() // setting twice is harmless
	ev.Clear()
	if ev.IsSet() {
		t.Fatal("IsSet() = true after Clear")
	}
}

func TestEventWaitWhenSetDoesNotSwitch(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var ev event.Event
		ev.Set()
		ran := false
		gevent.Go(ctx, func(context.Context) error { ran = true; return nil })
		if err := ev.Wait(ctx); err != nil {
			return fmt.Errorf("Wait = %v, want nil", err)
		}
		if ran {
			return errors.New("Wait on a set Event switched to another greenlet")
		}
		// Set again: a cancelled context does not matter when no switch is
		// needed.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := ev.Wait(cctx); err != nil {
			return fmt.Errorf("Wait(cancelled ctx) on a set Event = %v, want nil", err)
		}
		return nil
	})
}

func TestEventWaitersWakeFIFO(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var ev event.Event
		var order []int
		var tasks []gevent.Task
		const n = 10
		for i := range n {
			tasks = append(tasks, gevent.Go(ctx, func(ctx context.Context) error {
				if err := ev.Wait(ctx); err != nil {
					return err
				}
				order = append(order, i)
				return nil
			}))
		}
		gevent.Yield(ctx) // all park
		if len(order) != 0 {
			return fmt.Errorf("waiters ran before Set: %v", order)
		}
		ev.Set()
		if len(order) != 0 {
			return errors.New("Set switched to a waiter")
		}
		if _, err := gevent.JoinAll(ctx, tasks, gevent.RaiseError()); err != nil {
			return err
		}
		want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		if !slices.Equal(order, want) {
			return fmt.Errorf("wake order = %v, want %v", order, want)
		}
		return nil
	})
}

// gevent's TestEvent_SetThenClear: waiters of a Set that is cleared before
// they run still wake and succeed.
func TestEventSetThenClear(t *testing.T) {
	for _, n := range []int{1, 100, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			geventtest.Run(t, func(ctx context.Context) error {
				var ev event.Event
				var tasks []gevent.Task
				for range n {
					tasks = append(tasks, gevent.Go(ctx, ev.Wait))
				}
				gevent.Yield(ctx)
				ev.Set()
				ev.Clear()
				if _, err := gevent.JoinAll(ctx, tasks, gevent.RaiseError()); err != nil {
					return fmt.Errorf("a waiter failed: %v", err)
				}
				for _, g := range tasks {
					if g.Err() != nil {
						return fmt.Errorf("waiter %v: err %v, want nil", g, g.Err())
					}
				}
				if ev.IsSet() {
					return errors.New("IsSet() = true after Clear")
				}
				return nil
			})
		})
	}
}

// gevent's test_wait_while_notifying (issue 1520): a Wait on a set Event
// whose waiters have been woken but have not run returns after them, in the
// same pass of the hub (an idle greenlet does not get to run in between).
func TestEventWaitWhileNotifying(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var ev event.Event
		var results []int
		waitThenAppend := func(ctx context.Context, arg int) error {
			if err := ev.Wait(ctx); err != nil {
				return err
			}
			results = append(results, arg)
			return nil
		}
		g1 := gevent.Go(ctx, func(ctx context.Context) error { return waitThenAppend(ctx, 1) })
		g2 := gevent.Go(ctx, func(ctx context.Context) error { return waitThenAppend(ctx, 2) })
		idler := gevent.Go(ctx, func(ctx context.Context) error {
			if err := gevent.Idle(ctx); err != nil {
				return err
			}
			results = append(results, 4)
			return nil
		})
		gevent.Yield(ctx) // all three park
		ev.Set()
		if err := waitThenAppend(ctx, 3); err != nil {
			return err
		}
		if want := []int{1, 2, 3}; !slices.Equal(results, want) {
			return fmt.Errorf("results = %v, want %v", results, want)
		}
		_, err := gevent.JoinAll(ctx, []gevent.Task{g1, g2, idler}, gevent.RaiseError())
		if want := []int{1, 2, 3, 4}; !slices.Equal(results, want) {
			return fmt.Errorf("results = %v, want %v", results, want)
		}
		return err
	})
}

// The issue 1520 rule chains: a second late arrival waits behind the first.
func TestEventWaitWhileNotifyingChained(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var ev event.Event
		var results []string
		w := gevent.Go(ctx, func(ctx context.Context) error {
			if err := ev.Wait(ctx); err != nil {
				return err
			}
			results = append(results, "waiter")
			return nil
		})
		gevent.Yield(ctx)
		ev.Set()
		late := gevent.Go(ctx, func(ctx context.Context) error {
			// Starts after the waiter was woken and main parked as a
			// late arrival; it must wait behind main, which main's own
			// resumption wakes.
			if err := ev.Wait(ctx); err != nil {
				return err
			}
			results = append(results, "late")
			return nil
		})
		if err := ev.Wait(ctx); err != nil {
			return err
		}
		results = append(results, "main")
		if _, err := gevent.JoinAll(ctx, []gevent.Task{w, late}, gevent.RaiseError()); err != nil {
			return err
		}
		if want := []string{"waiter", "main", "late"}; !slices.Equal(results, want) {
			return fmt.Errorf("results = %v, want %v", results, want)
		}
		return nil
	})
}

func TestEventWaitTimeout(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var ev event.Event
		tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		err := ev.Wait(tctx)
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, context.Cause(tctx)) {
			return fmt.Errorf("Wait = %v, want the context's *Timeout", err)
		}
		var timeout *gevent.Timeout
		if !errors.As(err, &timeout) {
			return fmt.Errorf("Wait = %T, want *gevent.Timeout", err)
		}
		// The timed-out waiter left the list: a later waiter is still woken
		// and nothing is woken twice.
		g := gevent.Go(ctx, ev.Wait)
		gevent.Yield(ctx)
		ev.Set()
		return g.Join(ctx)
	})
}

func TestEventWaitKilled(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var ev event.Event
		errBoom := errors.New("boom")
		g := gevent.Go(ctx, ev.Wait)
		gevent.Yield(ctx)
		g.Kill(ctx, gevent.KillError(errBoom))
		if !errors.Is(g.Err(), errBoom) {
			return fmt.Errorf("killed waiter's err = %v, want %v", g.Err(), errBoom)
		}
		// A context cancelled before the call fails at once.
		cctx, cancel := context.WithCancelCause(ctx)
		cancel(errBoom)
		if err := ev.Wait(cctx); !errors.Is(err, errBoom) {
			return fmt.Errorf("Wait(cancelled) = %v, want %v", err, errBoom)
		}
		return nil
	})
}

// A late arrival (issue 1520) that is killed while it waits for the woken
// waiters is dropped; the next late arrival is still woken, after them.
func TestEventLateArrivalKilled(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var ev event.Event
		var results []string
		errBoom := errors.New("boom")
		// Each greenlet yields once so that the run order after main's Set
		// is: late, late2, killer, then the woken waiter.
		w := gevent.Go(ctx, func(ctx context.Context) error {
			if err := ev.Wait(ctx); err != nil {
				return err
			}
			results = append(results, "w")
			return nil
		})
		lateWait := func(name string) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				gevent.Yield(ctx)
				if err := ev.Wait(ctx); err != nil {
					return err
				}
				results = append(results, name)
				return nil
			}
		}
		late := gevent.Go(ctx, lateWait("late"))
		late2 := gevent.Go(ctx, lateWait("late2"))
		killer := gevent.Go(ctx, func(ctx context.Context) error {
			gevent.Yield(ctx)
			gevent.Kill(context.Background(), late, gevent.KillError(errBoom))
			return nil
		})
		gevent.Yield(ctx)
		ev.Set()
		if _, err := gevent.JoinAll(ctx, []gevent.Task{w, late, late2, killer}); err != nil {
			return err
		}
		if !errors.Is(late.Err(), errBoom) {
			return fmt.Errorf("killed late arrival err = %v, want %v", late.Err(), errBoom)
		}
		if w.Err() != nil || late2.Err() != nil {
			return fmt.Errorf("waiters failed: %v, %v", w.Err(), late2.Err())
		}
		if want := []string{"w", "late2"}; !slices.Equal(results, want) {
			return fmt.Errorf("results = %v, want %v", results, want)
		}
		return nil
	})
}

func TestEventCrossGoroutine(t *testing.T) {
	t.Run("goroutine waits, greenlet sets", func(t *testing.T) {
		var ev event.Event
		done := make(chan error, 1)
		go func() { done <- ev.Wait(context.Background()) }()
		geventtest.Run(t, func(ctx context.Context) error {
			ev.Set()
			return nil
		})
		if err := <-done; err != nil {
			t.Fatalf("Wait = %v, want nil", err)
		}
	})
	t.Run("greenlet waits, goroutine sets", func(t *testing.T) {
		// A served hub (no main greenlet) waits for outside work; a main
		// greenlet waiting for a goroutine that is not itself blocked in
		// the library could see ErrLoopExit.
		h := gevent.NewHub()
		served := make(chan error, 1)
		go func() { served <- h.Serve(context.Background()) }()
		var ev event.Event
		g := gevent.Go(h.Context(), ev.Wait)
		ev.Set()
		if err := g.Join(context.Background()); err != nil {
			t.Fatalf("Join = %v", err)
		}
		if err := g.Err(); err != nil {
			t.Fatalf("Wait = %v, want nil", err)
		}
		h.Stop()
		if err := <-served; err != nil {
			t.Fatalf("Serve = %v", err)
		}
	})
	t.Run("two hubs", func(t *testing.T) {
		var ping, pong event.Event
		var wg, started sync.WaitGroup
		const rounds = 200
		errs := make(chan error, 2)
		hub := func(body func(ctx context.Context) error) {
			defer wg.Done()
			errs <- gevent.Run(context.Background(), func(ctx context.Context) error {
				// Both hubs must be running before either waits: a lone
				// hub whose main waits with nothing to wake it sees
				// ErrLoopExit.
				started.Done()
				started.Wait()
				return body(ctx)
			})
		}
		wg.Add(2)
		started.Add(2)
		go hub(func(ctx context.Context) error {
			for range rounds {
				ping.Set()
				if err := pong.Wait(ctx); err != nil {
					return err
				}
				pong.Clear()
			}
			return nil
		})
		go hub(func(ctx context.Context) error {
			for range rounds {
				if err := ping.Wait(ctx); err != nil {
					return err
				}
				ping.Clear()
				pong.Set()
			}
			return nil
		})
		wg.Wait()
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("goroutine wait timeout", func(t *testing.T) {
		var ev event.Event
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		if err := ev.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait = %v, want DeadlineExceeded", err)
		}
	})
}

// Race hammer: goroutines set, clear and wait with short timeouts; every
// Wait ends with nil or its own context's cause.
func TestEventRace(t *testing.T) {
	var ev event.Event
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 300 {
				switch (i + j) % 3 {
				case 0:
					ev.Set()
				case 1:
					ev.Clear()
				default:
					ctx, cancel := context.WithTimeout(context.Background(), 50*time.Microsecond)
					err := ev.Wait(ctx)
					if err != nil && !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("Wait = %v", err)
					}
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	ev.Set()
	if err := ev.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestEventOnReady(t *testing.T) {
	var ev event.Event
	var calls []string
	remove1 := ev.OnReady(func() { calls = append(calls, "a") })
	remove2 := ev.OnReady(func() { calls = append(calls, "b") })
	ev.OnReady(func() { calls = append(calls, "c") })
	if !remove2() {
		t.Fatal("remove() = false for a pending callback")
	}
	if remove2() {
		t.Fatal("second remove() = true")
	}
	ev.Set()
	if want := []string{"a", "c"}; !slices.Equal(calls, want) {
		t.Fatalf("callbacks = %v, want %v", calls, want)
	}
	if remove1() {
		t.Fatal("remove() = true after the callback ran")
	}
	ev.Set() // callbacks are one-shot
	if len(calls) != 2 {
		t.Fatalf("callbacks ran again: %v", calls)
	}
	// On a set Event, f runs at once.
	ran := false
	if ev.OnReady(func() { ran = true })() || !ran {
		t.Fatalf("OnReady on a set Event: ran = %v", ran)
	}
	defer func() {
		if r := recover(); r == nil || !startsWithGevent(r) {
			t.Fatalf("OnReady(nil) panic = %v, want a gevent: panic", r)
		}
	}()
	ev.OnReady(nil)
}

func startsWithGevent(r any) bool {
	s, ok := r.(string)
	return ok && strings.HasPrefix(s, "gevent/event: ")
}

func TestEventWaitIwait(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var a, b, c event.Event
		gevent.Go(ctx, func(ctx context.Context) error {
			b.Set()
			gevent.Yield(ctx)
			c.Set()
			return nil
		})
		got, err := gevent.Wait(ctx, []gevent.Waitable{&a, &b, &c}, gevent.Count(2))
		if err != nil {
			return err
		}
		if len(got) != 2 || got[0] != gevent.Waitable(&b) || got[1] != gevent.Waitable(&c) {
			return fmt.Errorf("Wait = %v, want [b c]", got)
		}
		a.Set()
		var order []gevent.Waitable
		for w := range gevent.Iwait(ctx, []gevent.Waitable{&a, &b}) {
			order = append(order, w)
		}
		if len(order) != 2 {
			return fmt.Errorf("Iwait yielded %d, want 2", len(order))
		}
		// gevent's test_gevent_wait_twice_when_already_set.
		for range 2 {
			if got, err := gevent.Wait(ctx, []gevent.Waitable{&a}); err != nil || len(got) != 1 {
				return fmt.Errorf("Wait(set) = %v, %v", got, err)
			}
		}
		return nil
	})
}

// gevent's test_set_during_wait (issue 771): after a Set was seen and the
// Event cleared, waiting for it again needs another Set.
func TestEventSetDuringWait(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var ev event.Event
		setter := gevent.Go(ctx, func(context.Context) error { ev.Set(); return nil })
		if err := ev.Wait(ctx); err != nil {
			return err
		}
		if !ev.Ready() {
			return errors.New("Ready() = false after Wait")
		}
		if err := setter.Join(ctx); err != nil {
			return err
		}
		ev.Clear()
		tctx, cancel := gevent.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		got, err := gevent.Wait(tctx, []gevent.Waitable{&ev})
		if len(got) != 0 || !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("Wait(cleared) = %v, %v; want none, timeout", got, err)
		}
		return nil
	})
}

// A greenlet waiting on an Event with nothing that can set it gets
// ErrLoopExit instead of hanging (gevent's LoopExit).
func TestEventWaitLoopExit(t *testing.T) {
	var ev event.Event
	err := gevent.Run(context.Background(), ev.Wait)
	if !errors.Is(err, gevent.ErrLoopExit) {
		t.Fatalf("Run = %v, want ErrLoopExit", err)
	}
}

// Stress for the issue 1520 bookkeeping across hubs: greenlets of two served
// hubs wait in a loop (arriving early, late, or on a set Event) while a plain
// goroutine sets and clears; every wait must end with nil and none may hang.
func TestEventStressAcrossHubs(t *testing.T) {
	var ev event.Event
	const perHub, rounds = 3, 200
	var hubs []*gevent.Hub
	var served []chan error
	var tasks []*gevent.Greenlet[struct{}]
	for range 2 {
		h := gevent.NewHub()
		c := make(chan error, 1)
		go func() { c <- h.Serve(context.Background()) }()
		hubs, served = append(hubs, h), append(served, c)
		for range perHub {
			tasks = append(tasks, gevent.Go(h.Context(), func(ctx context.Context) error {
				for j := range rounds {
					if err := ev.Wait(ctx); err != nil {
						return err
					}
					if j%3 == 0 {
						gevent.Yield(ctx)
					}
				}
				return nil
			}))
		}
	}
	stop := make(chan struct{})
	setterDone := make(chan struct{})
	go func() {
		defer close(setterDone)
		for {
			select {
			case <-stop:
				ev.Set()
				return
			default:
			}
			ev.Set()
			ev.Clear()
			runtime.Gosched()
		}
	}()
	jctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, g := range tasks {
		if err := g.Join(jctx); err != nil || g.Err() != nil {
			t.Errorf("waiter: %v, %v", err, g.Err())
		}
	}
	close(stop)
	<-setterDone
	for i, h := range hubs {
		h.Stop()
		if err := <-served[i]; err != nil {
			t.Error(err)
		}
	}
}

// AsyncResult shares Event's rules: Wait on a ready result whose waiters
// have not run yet returns after them; Get returns at once (as gevent's get).
func TestAsyncResultWaitWhileNotifying(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var r event.AsyncResult[int]
		var order []string
		g := gevent.Go(ctx, func(ctx context.Context) error {
			if _, err := r.Get(ctx); err != nil {
				return err
			}
			order = append(order, "waiter")
			return nil
		})
		gevent.Yield(ctx)
		r.Set(1)
		if v, err := r.Get(ctx); v != 1 || err != nil {
			return fmt.Errorf("Get = %v, %v", v, err)
		}
		order = append(order, "get")
		if err := r.Wait(ctx); err != nil {
			return err
		}
		order = append(order, "wait")
		if want := []string{"get", "waiter", "wait"}; !slices.Equal(order, want) {
			return fmt.Errorf("order = %v, want %v", order, want)
		}
		return g.Join(ctx)
	})
}
