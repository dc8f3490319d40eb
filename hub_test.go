package gevent_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/internal/leakcheck"
)

func TestRunReturnsMainError(t *testing.T) {
	errX := errors.New("x")
	if err := gevent.Run(context.Background(), func(context.Context) error { return errX }, quiet()); err != errX {
		t.Errorf("Run = %v, want %v", err, errX)
	}
}

// Cancelling Run's ctx kills main with ctx's cause.
func TestRunContextCancelKillsMain(t *testing.T) {
	errStop := errors.New("stop")
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var sleepErr error
	err := gevent.Run(ctx, func(ctx context.Context) error {
		cancel(errStop)
		sleepErr = gevent.Sleep(ctx, time.Hour)
		return sleepErr
	}, quiet())
	if !errors.Is(err, errStop) || !errors.Is(sleepErr, errStop) {
		t.Errorf("Run = %v, Sleep = %v; want %v", err, sleepErr, errStop)
	}
}

func TestRunCarriesContextValues(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "v")
	var got, child any
	gevent.Run(ctx, func(ctx context.Context) error {
		got = ctx.Value(key{})
		child, _ = gevent.Spawn(ctx, func(ctx context.Context) (any, error) { return ctx.Value(key{}), nil }).Get(ctx)
		return nil
	})
	if got != "v" || child != "v" {
		t.Errorf("values: main %v, child %v; want v, v", got, child)
	}
}

// Run returns only after every greenlet it hosted has ended (their defers
// ran), and leaves no goroutine behind.
func TestRunEndsEveryGreenlet(t *testing.T) {
	before := stableNumGoroutine()
	var started, deferred atomic.Int32
	var rawDeferred atomic.Bool
	var tasks []gevent.Task
	var later gevent.Task
	geventtest.Run(t, func(ctx context.Context) error {
		body := func(ctx context.Context) (struct{}, error) {
			started.Add(1)
			defer deferred.Add(1)
			return struct{}{}, gevent.Sleep(ctx, time.Hour)
		}
		for range 3 {
			tasks = append(tasks, gevent.Spawn(ctx, body))
		}
		later = gevent.SpawnLater(ctx, time.Hour, body)
		tasks = append(tasks, later)
		gevent.SpawnRaw(ctx, func(ctx context.Context) {
			defer rawDeferred.Store(true)
			gevent.Sleep(ctx, time.Hour)
		})
		gevent.Yield(ctx)
		// Spawned as main returns: it may start before the hub stops, or not.
		tasks = append(tasks, gevent.Spawn(ctx, body))
		return nil
	})
	if s, d := started.Load(), deferred.Load(); s < 3 || d != s {
		t.Errorf("%d greenlets started, %d deferred calls ran; want >= 3 and equal", s, d)
	}
	if !rawDeferred.Load() {
		t.Error("the raw greenlet's deferred call did not run")
	}
	for _, tk := range tasks {
		if !tk.Dead() {
			t.Errorf("%v alive after Run", tk)
		}
	}
	if later.Err() != gevent.ErrGreenletExit {
		t.Errorf("SpawnLater greenlet: Err() = %v, want ErrGreenletExit", later.Err())
	}
	if after := stableNumGoroutine(); after != before {
		t.Errorf("goroutines: %d before Run, %d after", before, after)
	}
}

func TestNoGoroutineLeakAfterManyGreenlets(t *testing.T) {
	before := stableNumGoroutine()
	geventtest.Run(t, func(ctx context.Context) error {
		var tasks []gevent.Task
		for i := range 2000 {
			tasks = append(tasks, gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
				return i, gevent.Sleep(ctx, time.Duration(i%3)*time.Millisecond)
			}))
		}
		_, err := gevent.JoinAll(ctx, tasks)
		return err
	})
	if after := stableNumGoroutine(); after != before {
		t.Errorf("goroutines: %d before Run, %d after", before, after)
	}
}

// A hub served on a goroutine: plain goroutines spawn onto it with its
// Context and Get results; Stop ends it.
func TestHubServeOnGoroutine(t *testing.T) {
	h := gevent.NewHub(quiet()) // the late spawn below is reported as failed (ErrHubClosed)
	early := gevent.Spawn(h.Context(), func(context.Context) (string, error) { return "early", nil })
	done := make(chan error, 1)
	go func() { done <- h.Serve(context.Background()) }()
	if v, err := early.Get(context.Background()); v != "early" || err != nil {
		t.Errorf("greenlet spawned before Serve: Get = %q, %v", v, err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				g := gevent.Spawn(h.Context(), func(ctx context.Context) (int, error) {
					if err := gevent.Yield(ctx); err != nil {
						return 0, err
					}
					return i*100 + j, nil
				})
				if v, err := g.Get(context.Background()); v != i*100+j || err != nil {
					t.Errorf("Get = %v, %v; want %d", v, err, i*100+j)
				}
			}
		}()
	}
	wg.Wait()
	sleeping := gevent.Spawn(h.Context(), sleeper)
	h.Stop()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil after Stop", err)
	}
	if !sleeping.Dead() {
		t.Error("greenlet alive after Serve returned")
	}
	late := gevent.Spawn(h.Context(), noop)
	if err := late.Join(context.Background()); err != nil || !late.Dead() || !errors.Is(late.Err(), context.Canceled) {
		t.Errorf("spawn onto a closed hub: Join = %v, dead = %v, err = %v; want dead with ErrHubClosed",
			err, late.Dead(), late.Err())
	}
}

func TestHubServeContextCancel(t *testing.T) {
	h := gevent.NewHub()
	ctx, cancel := context.WithCancelCause(context.Background())
	errStop := errors.New("stop")
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx) }()
	g := gevent.Spawn(h.Context(), sleeper)
	cancel(errStop)
	if err := <-done; err != errStop {
		t.Errorf("Serve = %v, want %v", err, errStop)
	}
	if !g.Dead() || g.Err() != gevent.ErrGreenletExit {
		t.Errorf("greenlet after Serve: dead=%v err=%v", g.Dead(), g.Err())
	}
}

// Join, Get and Kill across hubs and from plain goroutines.
func TestCrossHubJoinGetKill(t *testing.T) {
	a := gevent.NewHub()
	done := make(chan error, 1)
	go func() { done <- a.Serve(context.Background()) }()
	defer func() {
		a.Stop()
		if err := <-done; err != nil {
			t.Errorf("Serve = %v", err)
		}
	}()
	deferred := false
	onA := gevent.Go(a.Context(), func(ctx context.Context) error {
		defer func() { deferred = true }()
		return gevent.Sleep(ctx, time.Hour)
	})
	value := gevent.Spawn(a.Context(), func(ctx context.Context) (int, error) {
		gevent.Sleep(ctx, time.Millisecond)
		return 11, nil
	})
	geventtest.Run(t, func(ctx context.Context) error {
		// A greenlet of hub B waits for one of hub A.
		if v, err := value.Get(ctx); v != 11 || err != nil {
			t.Errorf("cross-hub Get = %v, %v", v, err)
		}
		tctx, cancel := gevent.WithTimeout(ctx, 2*time.Millisecond)
		defer cancel()
		if err := onA.Join(tctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("cross-hub Join with timeout = %v", err)
		}
		// Spawn onto hub A from a greenlet of hub B.
		g := gevent.Spawn(a.Context(), func(context.Context) (string, error) { return "a", nil })
		if v, err := g.Get(ctx); v != "a" || err != nil {
			t.Errorf("Get = %v, %v", v, err)
		}
		onA.Kill(ctx)
		if !onA.Dead() || !deferred {
			t.Errorf("after cross-hub Kill: dead=%v deferred=%v", onA.Dead(), deferred)
		}
		return nil
	})
	// From a plain goroutine.
	g := gevent.Spawn(a.Context(), sleeper)
	tctx, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
	defer cancel()
	if err := g.Join(tctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("goroutine Join with deadline = %v", err)
	}
	g.Kill(context.Background())
	if !g.Dead() {
		t.Error("Kill from a goroutine returned before death")
	}
}

// A main greenlet waiting on a greenlet of a hub that a goroutine is about to
// serve must not get ErrLoopExit: that hub will run it.
//
// Repeated, because the hazard is an instant: the other hub moving from
// "pending" to "serving" while this hub decides (a false ErrLoopExit was
// seen about once in ten runs before the registry read pending first).
func TestWaitOnHubNotYetServedIsNotLoopExit(t *testing.T) {
	// Unserved hubs with greenlets nobody waits on widen that instant, as
	// they lengthen the registry walk (and must not count as busy).
	idle := make([]*gevent.Hub, 200)
	for i := range idle {
		idle[i] = gevent.NewHub()
		gevent.Go(idle[i].Context(), func(context.Context) error { return nil })
	}
	for range 50 {
		waitOnHubNotYetServed(t)
	}
	runtime.KeepAlive(idle)
}

func waitOnHubNotYetServed(t *testing.T) {
	a := gevent.NewHub()
	g := gevent.Spawn(a.Context(), func(context.Context) (int, error) { return 1, nil })
	serve := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		<-serve
		done <- a.Serve(context.Background())
	}()
	var joinErr error
	geventtest.Run(t, func(ctx context.Context) error {
		close(serve)
		joinErr = g.Join(ctx)
		return nil
	})
	a.Stop()
	<-done
	if joinErr != nil {
		t.Errorf("Join of a greenlet on a hub whose Serve is starting = %v, want nil", joinErr)
	}
}

// A hub that was created and never served (or never stopped) must not turn
// off ErrLoopExit for every other hub of the process.
func TestAbandonedHubDoesNotDisableLoopExit(t *testing.T) {
	abandoned := gevent.NewHub()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- gevent.Run(ctx, func(ctx context.Context) error {
			return gevent.New(ctx, noop).Join(ctx)
		}, quiet())
	}()
	var err error
	hung := false
	select {
	case err = <-done:
	case <-time.After(2 * time.Second): // a guard against a hang, not synchronisation
		hung = true
		cancel()
		err = <-done
	}
	// Release the abandoned hub so that later tests are not affected.
	abandoned.Stop()
	abandoned.Serve(context.Background())
	if hung {
		t.Fatalf("with a NewHub never served, a main greenlet's Join of a never-started greenlet "+
			"hangs instead of returning ErrLoopExit; Run = %v", err)
	}
	if !errors.Is(err, gevent.ErrLoopExit) {
		t.Errorf("Run = %v, want ErrLoopExit", err)
	}
}

// The stop function that std contexts get from a greenlet context's
// AfterFunc may be called concurrently (context.WithCancel's cancel from
// several goroutines, and the timer goroutine of context.WithTimeout).
func TestDerivedStdContextConcurrentCancel(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		for range 200 {
			d, cancel := context.WithTimeout(ctx, time.Microsecond)
			_, err := gevent.Blocking(ctx, func(context.Context) (struct{}, error) {
				var wg sync.WaitGroup
				for range 3 {
					wg.Add(1)
					go func() { defer wg.Done(); cancel() }()
				}
				wg.Wait()
				return struct{}{}, nil
			})
			if err != nil {
				return err
			}
			if d.Err() == nil {
				t.Fatal("derived context not cancelled")
			}
		}
		return nil
	})
}

// Many hubs and goroutines racing on one greenlet's Join, Link and Kill.
func TestConcurrentKillJoinRace(t *testing.T) {
	a := gevent.NewHub()
	done := make(chan error, 1)
	go func() { done <- a.Serve(context.Background()) }()
	// Make sure a is inside Serve before hub B's main waits on it (see
	// TestWaitOnHubNotYetServedIsNotLoopExit).
	gevent.Spawn(a.Context(), noop).Join(context.Background())
	for range 20 {
		g := gevent.Spawn(a.Context(), sleeper)
		var links atomic.Int32
		g.RawLink(func(*gevent.Greenlet[struct{}]) { links.Add(1) })
		var wg sync.WaitGroup
		for k := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch k {
				case 0, 1:
					g.Kill(context.Background())
				case 2:
					g.Join(context.Background())
				case 3:
					if err := gevent.Run(context.Background(), func(ctx context.Context) error { return g.Join(ctx) }); err != nil {
						t.Errorf("Join from another hub's main = %v", err)
					}
				}
			}()
		}
		wg.Wait()
		if !g.Dead() || g.Err() != gevent.ErrGreenletExit {
			t.Errorf("dead=%v err=%v", g.Dead(), g.Err())
		}
		last := gevent.Spawn(a.Context(), noop) // queued after g's links
		last.Join(context.Background())
		if n := links.Load(); n != 1 {
			t.Errorf("link fired %d times, want 1", n)
		}
	}
	a.Stop()
	<-done
}

// Blocking runs blocking Go code off the hub while other greenlets run.
func TestBlockingOthersKeepRunning(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ch := make(chan int, 1)
		var log logger
		waiter := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			return gevent.Blocking(ctx, func(bctx context.Context) (int, error) {
				if gevent.Current(bctx) != nil {
					t.Error("Blocking's fn sees a current greenlet")
				}
				select {
				case v := <-ch:
					return v, nil
				case <-time.After(time.Minute): // a guard, not synchronisation
					return 0, errors.New("hub blocked: the other greenlet never ran")
				}
			})
		})
		gevent.Go(ctx, func(ctx context.Context) error {
			for i := range 3 {
				log.add("tick %d", i)
				gevent.Sleep(ctx, time.Millisecond)
			}
			ch <- 5
			return nil
		})
		v, err := waiter.Get(ctx)
		if v != 5 || err != nil {
			t.Errorf("Blocking = %v, %v; want 5, nil", v, err)
		}
		log.check(t, "tick 0", "tick 1", "tick 2")
		return nil
	})
}

// Killing a greenlet parked in Blocking returns at once with the kill's
// cause, and fn's context is cancelled.
func TestBlockingKilled(t *testing.T) {
	errX := errors.New("x")
	geventtest.Run(t, func(ctx context.Context) error {
		started := make(chan struct{})
		var fnCause error
		fnDone := make(chan struct{})
		var blockErr error
		g := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			v, err := gevent.Blocking(ctx, func(bctx context.Context) (int, error) {
				defer close(fnDone)
				close(started)
				<-bctx.Done()
				fnCause = context.Cause(bctx)
				return 1, nil
			})
			blockErr = err
			return v, err
		})
		// Wait for fn to start without blocking the hub.
		gevent.Go(ctx, func(ctx context.Context) error {
			_, err := gevent.Blocking(ctx, func(context.Context) (struct{}, error) { <-started; return struct{}{}, nil })
			return err
		}).Join(ctx)
		g.Kill(ctx, gevent.KillError(errX))
		if !g.Dead() || blockErr != errX || g.Err() != errX {
			t.Errorf("dead=%v Blocking err=%v Err()=%v; want true, x, x", g.Dead(), blockErr, g.Err())
		}
		_, err := gevent.Blocking(ctx, func(context.Context) (struct{}, error) { <-fnDone; return struct{}{}, nil })
		if err != nil || !errors.Is(fnCause, errX) {
			t.Errorf("fn's context cause = %v, want x", fnCause)
		}
		return nil
	}, quiet())
}

func TestBlockingFromGoroutineCallsFn(t *testing.T) {
	v, err := gevent.Blocking(context.Background(), func(context.Context) (int, error) { return 3, nil })
	if v != 3 || err != nil {
		t.Errorf("Blocking = %v, %v", v, err)
	}
}

func TestBlockingAlreadyCancelled(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		ran := false
		_, err := gevent.Blocking(cctx, func(context.Context) (int, error) { ran = true; return 0, nil })
		if ran || !errors.Is(err, context.Canceled) {
			t.Errorf("ran = %v, err = %v; want false, Canceled", ran, err)
		}
		return nil
	})
}

// The killed greenlet's context reports the kill: Err says Canceled and is
// (or wraps) the cause, context.Cause is the cause, Done is closed.
func TestKilledContext(t *testing.T) {
	errX := errors.New("x")
	geventtest.Run(t, func(ctx context.Context) error {
		for _, kill := range []error{nil, errX} {
			var gctx context.Context
			var errAfter, causeAfter error
			var doneClosed bool
			g := gevent.Go(ctx, func(ctx context.Context) error {
				gctx = ctx
				if ctx.Err() != nil {
					t.Errorf("ctx.Err() before kill = %v", ctx.Err())
				}
				err := gevent.Sleep(ctx, time.Hour)
				errAfter, causeAfter = ctx.Err(), context.Cause(ctx)
				select {
				case <-ctx.Done():
					doneClosed = true
				default:
				}
				return err
			})
			gevent.Yield(ctx)
			want := gevent.ErrGreenletExit
			if kill != nil {
				want = kill
				g.Kill(ctx, gevent.KillError(kill))
			} else {
				g.Kill(ctx)
			}
			// context.Cause falls back to Err for the library's contexts:
			// it is (or wraps) the cause.
			if !errors.Is(errAfter, context.Canceled) || !errors.Is(errAfter, want) || !errors.Is(causeAfter, want) || !doneClosed {
				t.Errorf("kill %v: ctx.Err() = %v, Cause = %v, done = %v", want, errAfter, causeAfter, doneClosed)
			}
			if !errors.Is(context.Cause(gctx), want) {
				t.Errorf("Cause after end = %v, want %v (first cause wins)", context.Cause(gctx), want)
			}
		}
		// A greenlet's context is cancelled with ErrGreenletDone when its
		// function returns.
		var gctx context.Context
		g := gevent.Go(ctx, func(ctx context.Context) error { gctx = ctx; return nil })
		g.Join(ctx)
		if context.Cause(gctx) != gevent.ErrGreenletDone || !errors.Is(gctx.Err(), context.Canceled) {
			t.Errorf("after return: Cause = %v, Err = %v", context.Cause(gctx), gctx.Err())
		}
		return nil
	}, quiet())
}

// Standard contexts derived from a greenlet's context see its kill.
func TestKillReachesDerivedStdContext(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var err error
		var derived context.Context
		g := gevent.Go(ctx, func(ctx context.Context) error {
			var cancel context.CancelFunc
			derived, cancel = context.WithCancel(ctx)
			defer cancel()
			err = gevent.Sleep(derived, time.Hour)
			return err
		})
		gevent.Yield(ctx)
		g.Kill(ctx)
		if err != gevent.ErrGreenletExit || context.Cause(derived) != gevent.ErrGreenletExit {
			t.Errorf("Sleep(derived) = %v, Cause = %v; want ErrGreenletExit", err, context.Cause(derived))
		}
		return nil
	})
}

// Standard context.WithTimeout and WithCancel contexts are honoured at
// switch points.
func TestStdContextHonoured(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Millisecond)
		defer cancel()
		if err := gevent.Sleep(tctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Sleep(WithTimeout) = %v", err)
		}
		if err := gevent.Sleep(tctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("second Sleep(WithTimeout) = %v", err)
		}
		if err := gevent.Yield(tctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Yield(expired) = %v", err)
		}

		cctx, cancelC := context.WithCancelCause(ctx)
		errWhy := errors.New("why")
		gevent.Go(ctx, func(context.Context) error { cancelC(errWhy); return nil })
		if err := gevent.Sleep(cctx, time.Hour); err != errWhy {
			t.Errorf("Sleep(WithCancelCause) = %v, want %v", err, errWhy)
		}

		g := gevent.Spawn(ctx, sleeper)
		jctx, cancelJ := context.WithCancel(ctx)
		gevent.Go(ctx, func(context.Context) error { cancelJ(); return nil })
		if err := g.Join(jctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Join(WithCancel) = %v", err)
		}
		g.Kill(ctx)
		return nil
	})
}

// gevent's idle probe: a idle(), b three sleep(0), c sleep(x): a wakes after
// b's yields and before c's timer.
func TestIdleRunsWhenNothingElseToDo(t *testing.T) {
	var log logger
	geventtest.Run(t, func(ctx context.Context) error {
		a := gevent.Go(ctx, func(ctx context.Context) error {
			log.add("a start")
			err := gevent.Idle(ctx)
			log.add("a wake")
			return err
		})
		b := gevent.Go(ctx, func(ctx context.Context) error {
			for i := range 3 {
				log.add("b%d", i)
				gevent.Yield(ctx)
			}
			return nil
		})
		c := gevent.Go(ctx, func(ctx context.Context) error {
			log.add("c start")
			// gevent's probe sleeps 1ms; 20ms keeps the order independent
			// of how loaded the machine is.
			err := gevent.Sleep(ctx, 20*time.Millisecond)
			log.add("c wake")
			return err
		})
		_, err := gevent.JoinAll(ctx, []gevent.Task{a, b, c})
		return err
	})
	log.check(t, "a start", "b0", "c start", "b1", "b2", "a wake", "c wake")
}

func TestIdleKilled(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var err error
		busy := gevent.Go(ctx, func(ctx context.Context) error {
			for ctx.Err() == nil {
				gevent.Yield(ctx)
			}
			return nil
		})
		g := gevent.Go(ctx, func(ctx context.Context) error {
			err = gevent.Idle(ctx)
			return err
		})
		gevent.Yield(ctx)
		g.Kill(ctx)
		if err != gevent.ErrGreenletExit {
			t.Errorf("Idle = %v, want ErrGreenletExit", err)
		}
		busy.Kill(ctx)
		return nil
	})
}

func TestSpawnRaw(t *testing.T) {
	var reports errorLog
	var log logger
	geventtest.Run(t, func(ctx context.Context) error {
		gevent.SpawnRaw(ctx, func(ctx context.Context) {
			if gevent.Current(ctx) != nil {
				t.Error("Current in a raw greenlet is not nil")
			}
			log.add("raw1")
			gevent.Yield(ctx)
			log.add("raw1 again")
		})
		gevent.Go(ctx, func(context.Context) error { log.add("spawned"); return nil })
		gevent.SpawnRaw(ctx, func(context.Context) { panic("raw boom") })
		gevent.Sleep(ctx, time.Millisecond)
		log.check(t, "raw1", "spawned", "raw1 again")
		return nil
	}, reports.option())
	var pe *gevent.PanicError
	if reports.count() != 1 || reports.tasks[0] != nil || !errors.As(reports.errs[0], &pe) || pe.Value != "raw boom" {
		t.Errorf("reports = %v %v, want one *PanicError with no task", reports.tasks, reports.errs)
	}
}

// The leak check used by TestMain sees a goroutine left running.
func TestLeakcheckCatchesLeak(t *testing.T) {
	stopLeak := make(chan struct{})
	leaked := make(chan struct{})
	go func() {
		close(leaked)
		<-stopLeak
	}()
	<-leaked
	found := false
	for _, s := range leakcheck.Current() {
		if strings.Contains(s, "TestLeakcheckCatchesLeak") {
			found = true
		}
	}
	if !found {
		t.Error("leakcheck.Current() does not list the leaked goroutine")
	}
	if err := leakcheck.Find(5 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "TestLeakcheckCatchesLeak") {
		t.Errorf("leakcheck.Find = %v, want an error naming the leak", err)
	}
	close(stopLeak)
	if err := leakcheck.Find(5 * time.Second); err != nil {
		t.Errorf("leakcheck.Find after the goroutine ended = %v", err)
	}
}
