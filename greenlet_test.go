package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
)

// gevent: after spawn(a); spawn(b); spawn(c); sleep(0) the order is a, b, c,
// then the spawner (reference §2.2).
func TestSpawnRunsInFIFOOrderThenSpawner(t *testing.T) {
	var log logger
	geventtest.Run(t, func(ctx context.Context) error {
		for _, name := range []string{"a", "b", "c"} {
			gevent.Go(ctx, func(context.Context) error {
				log.add("%s", name)
				return nil
			})
		}
		log.add("spawned")
		if err := gevent.Yield(ctx); err != nil {
			return err
		}
		log.add("main")
		return nil
	})
	log.check(t, "spawned", "a", "b", "c", "main")
}

// test__order.TestSleep0: '1A 2A 1B 2B'.
func TestYieldInterleaves(t *testing.T) {
	var log logger
	geventtest.Run(t, func(ctx context.Context) error {
		var tasks []gevent.Task
		for _, name := range []string{"1", "2"} {
			tasks = append(tasks, gevent.Go(ctx, func(ctx context.Context) error {
				log.add("%sA", name)
				if err := gevent.Yield(ctx); err != nil {
					return err
				}
				log.add("%sB", name)
				return nil
			}))
		}
		_, err := gevent.JoinAll(ctx, tasks)
		return err
	})
	log.check(t, "1A", "2A", "1B", "2B")
}

func TestSpawnReturnsValue(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
				return "", err
			}
			return "done", nil
		})
		if g.Dead() || !g.Alive() {
			t.Errorf("after Spawn: dead=%v alive=%v, want false true", g.Dead(), g.Alive())
		}
		v, err := g.Get(ctx)
		if v != "done" || err != nil {
			t.Errorf("Get = %q, %v; want \"done\", nil", v, err)
		}
		if !g.Dead() || g.Alive() || !g.Successful() || !g.Ready() || g.Value() != "done" || g.Err() != nil {
			t.Errorf("after end: dead=%v alive=%v successful=%v ready=%v value=%q err=%v",
				g.Dead(), g.Alive(), g.Successful(), g.Ready(), g.Value(), g.Err())
		}
		return nil
	})
}

// test__greenlet TestKill*, reference §2.5: a greenlet killed before it
// started never runs, is dead and successful at once, and its links fire
// once, later, from the hub.
func TestKillNeverStarted(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ran := false
		g := gevent.Spawn(ctx, func(context.Context) (int, error) {
			ran = true
			return 1, nil
		})
		fired, inKill := 0, false
		g.RawLink(func(*gevent.Greenlet[int]) {
			if inKill {
				t.Error("link ran synchronously inside Kill")
			}
			fired++
		})
		inKill = true
		g.Kill(ctx)
		inKill = false
		if !g.Dead() || !g.Successful() || g.Alive() {
			t.Errorf("after Kill: dead=%v successful=%v alive=%v, want true true false",
				g.Dead(), g.Successful(), g.Alive())
		}
		if fired != 0 {
			t.Errorf("link fired %d times before the hub ran, want 0", fired)
		}
		if v, err := g.Get(ctx); v != 0 || err != gevent.ErrGreenletExit {
			t.Errorf("Get = %v, %v; want 0, ErrGreenletExit", v, err)
		}
		if !yieldUntil(ctx, 10, func() bool { return fired > 0 }) {
			t.Fatal("link never fired")
		}
		for range 3 {
			gevent.Yield(ctx)
		}
		if fired != 1 {
			t.Errorf("link fired %d times, want 1", fired)
		}
		if ran {
			t.Error("the body of a greenlet killed before it started ran")
		}
		g.Start()
		gevent.Yield(ctx)
		if ran {
			t.Error("Start after Kill ran the body")
		}
		return nil
	})
}

func TestKillNewGreenlet(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ran := false
		g := gevent.New(ctx, func(context.Context) (int, error) { ran = true; return 1, nil })
		g.Kill(ctx)
		if !g.Dead() || !g.Successful() || g.Err() != gevent.ErrGreenletExit {
			t.Errorf("after Kill: dead=%v successful=%v err=%v", g.Dead(), g.Successful(), g.Err())
		}
		if err := g.Join(ctx); err != nil {
			t.Errorf("Join = %v, want nil", err)
		}
		g.Start()
		gevent.Yield(ctx)
		if ran {
			t.Error("body ran")
		}
		return nil
	})
}

// Kill of a greenlet parked in a long Sleep: the sleep returns the kill's
// cause at once, its defers run, and Kill returns only after it is dead.
func TestKillSleepingGreenlet(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var sleepErr error
		started, deferred := false, false
		g := gevent.Go(ctx, func(ctx context.Context) error {
			started = true
			defer func() { deferred = true }()
			sleepErr = gevent.Sleep(ctx, time.Hour)
			return sleepErr
		})
		gevent.Yield(ctx) // g starts and parks
		if !started {
			t.Fatal("greenlet did not start")
		}
		start := time.Now()
		g.Kill(ctx)
		if d := time.Since(start); d > time.Minute {
			t.Errorf("Kill took %v", d)
		}
		if !g.Dead() || !deferred {
			t.Errorf("after blocking Kill: dead=%v deferred=%v, want true true", g.Dead(), deferred)
		}
		if sleepErr != gevent.ErrGreenletExit || g.Err() != gevent.ErrGreenletExit || !g.Successful() {
			t.Errorf("sleep err = %v, Err() = %v, successful = %v; want ErrGreenletExit twice, true",
				sleepErr, g.Err(), g.Successful())
		}
		return nil
	})
}

// Kill without waiting for the end (issue 11: one way per meaning, no
// KillNoWait): Greenlet.Kill with a ctx that is already done, and the
// package-level Kill, which never waits (it switches only when ctx is a
// greenlet's, and then once).
func TestKillWithoutWaiting(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		done, cancel := context.WithCancel(ctx)
		cancel()
		g := gevent.Spawn(ctx, sleeper)
		gevent.Yield(ctx)
		g.Kill(done)
		if g.Dead() {
			t.Error("dead right after Kill with a done ctx")
		}
		if err := g.Join(ctx); err != nil {
			t.Errorf("Join = %v", err)
		}
		if g.Err() != gevent.ErrGreenletExit {
			t.Errorf("Err() = %v, want ErrGreenletExit", g.Err())
		}

		// With a context that carries no greenlet it does not switch:
		// gevent's kill.
		g2 := gevent.Spawn(ctx, sleeper)
		gevent.Yield(ctx)
		gevent.Kill(context.Background(), g2)
		if g2.Dead() {
			t.Error("dead right after gevent.Kill(context.Background(), g)")
		}
		if err := g2.Join(ctx); err != nil || !g2.Dead() {
			t.Errorf("Join = %v, dead = %v", err, g2.Dead())
		}

		// With the caller's context it yields once, and does not wait for
		// a greenlet that goes on after the kill.
		release := false
		g3 := gevent.Go(ctx, func(ctx context.Context) error {
			for !release {
				gevent.Sleep(context.WithoutCancel(ctx), time.Millisecond)
			}
			return nil
		})
		gevent.Yield(ctx)
		gevent.Kill(ctx, g3)
		if g3.Dead() {
			t.Error("stubborn greenlet died")
		}
		release = true
		return g3.Join(ctx)
	})
}

// Cancellation is level-triggered: a greenlet that ignores its kill and
// blocks again gets the cause again at once; cleanup that must block uses
// context.WithoutCancel.
func TestKillIsLevelTriggered(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var errs []error
		var cleanupErr error
		var cleanupTook time.Duration
		g := gevent.Go(ctx, func(ctx context.Context) error {
			errs = append(errs, gevent.Sleep(ctx, time.Hour))
			errs = append(errs, gevent.Sleep(ctx, time.Hour)) // ignored the kill
			errs = append(errs, gevent.Yield(ctx))
			start := time.Now()
			cleanupErr = gevent.Sleep(context.WithoutCancel(ctx), 3*time.Millisecond)
			cleanupTook = time.Since(start)
			return nil
		})
		gevent.Yield(ctx)
		g.Kill(ctx)
		if !g.Dead() {
			t.Fatal("Kill returned before the greenlet was dead")
		}
		for i, err := range errs {
			if err != gevent.ErrGreenletExit {
				t.Errorf("switch point %d after kill returned %v, want ErrGreenletExit", i, err)
			}
		}
		if len(errs) != 3 {
			t.Errorf("got %d errors, want 3", len(errs))
		}
		if cleanupErr != nil || cleanupTook < 3*time.Millisecond {
			t.Errorf("cleanup Sleep(WithoutCancel) = %v after %v, want nil after >= 3ms", cleanupErr, cleanupTook)
		}
		// The body caught the kill and returned normally: its result wins.
		if g.Err() != nil || !g.Successful() {
			t.Errorf("Err() = %v, want nil", g.Err())
		}
		return nil
	})
}

func TestKillCustomError(t *testing.T) {
	errCustom := errors.New("custom kill")
	var reports errorLog
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.Spawn(ctx, sleeper)
		var value, exception, any int
		g.LinkValue(func(context.Context, *gevent.Greenlet[struct{}]) { value++ })
		g.LinkException(func(context.Context, *gevent.Greenlet[struct{}]) { exception++ })
		g.Link(func(context.Context, *gevent.Greenlet[struct{}]) { any++ })
		gevent.Yield(ctx)
		g.Kill(ctx, gevent.KillError(errCustom))
		if !g.Dead() || g.Successful() || !errors.Is(g.Err(), errCustom) {
			t.Errorf("dead=%v successful=%v err=%v; want true false %v", g.Dead(), g.Successful(), g.Err(), errCustom)
		}
		if _, err := g.Get(ctx); !errors.Is(err, errCustom) {
			t.Errorf("Get err = %v, want %v", err, errCustom)
		}
		yieldUntil(ctx, 10, func() bool { return any > 0 })
		if value != 0 || exception != 1 || any != 1 {
			t.Errorf("LinkValue ran %d, LinkException %d, Link %d times; want 0 1 1", value, exception, any)
		}
		return nil
	}, reports.option())
	if reports.count() != 1 || !errors.Is(reports.errs[0], errCustom) {
		t.Errorf("error handler reports = %v, want one with %v", reports.errs, errCustom)
	}
}

func TestKillUnstartedCustomErrorIsReported(t *testing.T) {
	errCustom := errors.New("custom kill")
	var reports errorLog
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.Spawn(ctx, noop)
		g.Kill(ctx, gevent.KillError(errCustom))
		if g.Successful() || g.Err() != errCustom {
			t.Errorf("successful=%v err=%v", g.Successful(), g.Err())
		}
		return nil
	}, reports.option())
	if reports.count() != 1 {
		t.Errorf("error handler called %d times, want 1", reports.count())
	}
}

func TestKillSelfDoesNotWait(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var self *gevent.Greenlet[struct{}]
		var err error
		self = gevent.Go(ctx, func(ctx context.Context) error {
			self.Kill(ctx) // must not deadlock waiting for itself
			err = gevent.Yield(ctx)
			return err
		})
		if e := self.Join(ctx); e != nil {
			return e
		}
		if err != gevent.ErrGreenletExit || self.Err() != gevent.ErrGreenletExit {
			t.Errorf("Yield after self-kill = %v, Err() = %v; want ErrGreenletExit", err, self.Err())
		}
		return nil
	})
}

// A deadline of ctx bounds the wait of Kill, which never reports an error
// (gevent's kill(timeout=...); the KillTimeout option is gone).
func TestKillDeadlineReturnsWithGreenletAlive(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		release := false
		g := gevent.Go(ctx, func(ctx context.Context) error {
			for !release {
				gevent.Sleep(context.WithoutCancel(ctx), time.Millisecond)
			}
			return nil
		})
		gevent.Yield(ctx)
		tctx, cancel := gevent.WithTimeout(ctx, 5*time.Millisecond)
		g.Kill(tctx)
		cancel()
		if g.Dead() {
			t.Error("stubborn greenlet died")
		}
		release = true
		return g.Join(ctx)
	})
}

func panickyBody(context.Context) (int, error) {
	panic("boom")
}

// A panic is captured as a *PanicError, reported once, and the hub and the
// other greenlets keep running.
func TestPanicIsCaptured(t *testing.T) {
	var reports errorLog
	geventtest.Run(t, func(ctx context.Context) error {
		ticks := 0
		other := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			for range 5 {
				if err := gevent.Yield(ctx); err != nil {
					return ticks, err
				}
				ticks++
			}
			return ticks, nil
		})
		g := gevent.Spawn(ctx, panickyBody)
		_, err := g.Get(ctx)
		var pe *gevent.PanicError
		if !errors.As(err, &pe) {
			t.Fatalf("Get err = %v (%T), want *PanicError", err, err)
		}
		if pe.Value != "boom" {
			t.Errorf("PanicError.Value = %v, want boom", pe.Value)
		}
		if !strings.Contains(string(pe.Stack), "panickyBody") {
			t.Errorf("PanicError.Stack does not name panickyBody:\n%s", pe.Stack)
		}
		if !strings.Contains(err.Error(), "boom") {
			t.Errorf("Error() = %q, want it to mention boom", err.Error())
		}
		if g.Successful() || g.Err() != err {
			t.Errorf("successful=%v Err()=%v", g.Successful(), g.Err())
		}
		if v, err := other.Get(ctx); v != 5 || err != nil {
			t.Errorf("other greenlet: Get = %v, %v; want 5, nil", v, err)
		}
		// The hub still runs new work.
		if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
		if v, err := gevent.Spawn(ctx, func(context.Context) (int, error) { return 3, nil }).Get(ctx); v != 3 || err != nil {
			t.Errorf("spawn after panic: %v, %v", v, err)
		}
		if reports.count() != 1 {
			t.Errorf("error handler called %d times, want 1", reports.count())
		} else if reports.tasks[0] != gevent.Task(g) || reports.errs[0] != err {
			t.Errorf("error handler got (%v, %v), want (%v, %v)", reports.tasks[0], reports.errs[0], g, err)
		}
		return nil
	}, reports.option())
}

func TestPanicWithErrorUnwraps(t *testing.T) {
	errBoom := errors.New("boom")
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.Spawn(ctx, func(context.Context) (int, error) { panic(errBoom) })
		err := g.Join(ctx)
		if err != nil {
			return err
		}
		if !errors.Is(g.Err(), errBoom) {
			t.Errorf("Err() = %v, want it to wrap %v", g.Err(), errBoom)
		}
		return nil
	}, quiet())
}

// test__order.test_greenlet_link: RawLink callbacks run in registration
// order (TestLinkKindsShareOneList mixes in the other kinds).
func TestLinksRunInRegistrationOrder(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var got, want []int
		g := gevent.Spawn(ctx, noop)
		for i := range 100 {
			switch i % 3 {
			case 0:
				g.RawLink(func(*gevent.Greenlet[struct{}]) { got = append(got, i) })
				want = append(want, i)
			case 1:
				g.RawLink(func(g *gevent.Greenlet[struct{}]) {
					if g.Successful() {
						got = append(got, i)
					}
				})
				want = append(want, i)
			case 2:
				g.RawLink(func(g *gevent.Greenlet[struct{}]) {
					if !g.Successful() {
						got = append(got, -i)
					}
				})
			}
		}
		done := false
		g.RawLink(func(*gevent.Greenlet[struct{}]) { done = true })
		if err := g.Join(ctx); err != nil {
			return err
		}
		if !yieldUntil(ctx, 10, func() bool { return done }) {
			t.Fatal("links did not run")
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("links ran in order %v, want %v", got, want)
		}
		return nil
	})
}

// test_multiple_listeners_error_unlink: a link may unlink a later one, which
// then does not run; a link added during notification runs in the same pass.
func TestUnlinkDuringNotification(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var log logger
		g := gevent.Spawn(ctx, noop)
		var unlink2 func() bool
		g.RawLink(func(g *gevent.Greenlet[struct{}]) {
			log.add("1")
			if !unlink2() {
				t.Error("unlink of a pending link returned false")
			}
			g.RawLink(func(*gevent.Greenlet[struct{}]) { log.add("added") })
		})
		unlink2 = g.RawLink(func(*gevent.Greenlet[struct{}]) { log.add("2") })
		g.RawLink(func(*gevent.Greenlet[struct{}]) { log.add("3") })
		if err := g.Join(ctx); err != nil {
			return err
		}
		yieldUntil(ctx, 10, func() bool { return len(log.get()) == 3 })
		gevent.Yield(ctx)
		log.check(t, "1", "3", "added")
		if unlink2() {
			t.Error("second unlink returned true")
		}
		return nil
	})
}

func TestUnlinkBeforeEnd(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		fired := false
		g := gevent.Spawn(ctx, noop)
		unlink := g.RawLink(func(*gevent.Greenlet[struct{}]) { fired = true })
		if !unlink() {
			t.Error("unlink = false, want true")
		}
		sentinel := false
		g.RawLink(func(*gevent.Greenlet[struct{}]) { sentinel = true })
		g.Join(ctx)
		yieldUntil(ctx, 10, func() bool { return sentinel })
		if fired {
			t.Error("unlinked callback ran")
		}
		return nil
	})
}

// Linking a greenlet that has already ended still fires, later, once.
func TestLinkAfterDeathFires(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.Spawn(ctx, func(context.Context) (int, error) { return 7, nil })
		if err := g.Join(ctx); err != nil {
			return err
		}
		got, fired := 0, 0
		unlink := g.RawLink(func(g *gevent.Greenlet[int]) { got = g.Value(); fired++ })
		if fired != 0 {
			t.Error("link on a dead greenlet ran synchronously")
		}
		if !yieldUntil(ctx, 10, func() bool { return fired > 0 }) {
			t.Fatal("link on a dead greenlet never fired")
		}
		gevent.Yield(ctx)
		if fired != 1 || got != 7 {
			t.Errorf("fired %d times with value %d, want once with 7", fired, got)
		}
		if unlink() {
			t.Error("unlink after firing returned true")
		}
		return nil
	})
}

// A link callback that panics is reported (with a nil task) and the
// remaining links still run.
func TestLinkPanicIsReportedAndOthersRun(t *testing.T) {
	var reports errorLog
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.Spawn(ctx, noop)
		var log logger
		g.RawLink(func(*gevent.Greenlet[struct{}]) { log.add("1") })
		g.RawLink(func(*gevent.Greenlet[struct{}]) { panic("link boom") })
		g.RawLink(func(*gevent.Greenlet[struct{}]) { log.add("3") })
		g.Join(ctx)
		yieldUntil(ctx, 10, func() bool { return len(log.get()) == 2 })
		log.check(t, "1", "3")
		return nil
	}, reports.option())
	if reports.count() != 1 {
		t.Fatalf("error handler called %d times, want 1", reports.count())
	}
	var pe *gevent.PanicError
	if reports.tasks[0] != nil || !errors.As(reports.errs[0], &pe) || pe.Value != "link boom" {
		t.Errorf("report = (%v, %v), want (nil, *PanicError{link boom})", reports.tasks[0], reports.errs[0])
	}
}

func TestJoinDeadlineLeavesGreenletRunning(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.Spawn(ctx, sleeper)
		jctx, cancel := context.WithTimeout(ctx, 2*time.Millisecond)
		defer cancel()
		err := g.Join(jctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Join = %v, want DeadlineExceeded", err)
		}
		if g.Dead() || !g.Alive() {
			t.Errorf("after Join timeout: dead=%v alive=%v", g.Dead(), g.Alive())
		}
		tctx, cancel2 := gevent.WithTimeout(ctx, 2*time.Millisecond)
		defer cancel2()
		v, err := g.Get(tctx)
		var to *gevent.Timeout
		if !errors.As(err, &to) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Get = %v, %v; want a *Timeout", v, err)
		}
		if g.Dead() {
			t.Error("Get timeout killed the greenlet")
		}
		g.Kill(ctx)
		return nil
	})
}

func TestTryGet(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		errX := errors.New("x")
		g := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			gevent.Yield(ctx)
			return 4, errX
		})
		if v, ok := g.TryGet(); ok || v != 0 || g.Err() != nil {
			t.Errorf("TryGet before start = %v, %v (Err %v); want 0, false (nil)", v, ok, g.Err())
		}
		gevent.Yield(ctx) // g starts and yields
		if v, ok := g.TryGet(); ok || v != 0 || g.Err() != nil {
			t.Errorf("TryGet while running = %v, %v (Err %v); want 0, false (nil)", v, ok, g.Err())
		}
		g.Join(ctx)
		// The function returned 4 with an error: a failure has no value.
		if v, ok := g.TryGet(); !ok || v != 0 || g.Err() != errX {
			t.Errorf("TryGet after end = %v, %v (Err %v); want 0, true (x)", v, ok, g.Err())
		}
		ok := gevent.Spawn(ctx, func(context.Context) (int, error) { return 5, nil })
		ok.Join(ctx)
		if v, done := ok.TryGet(); !done || v != 5 || ok.Err() != nil {
			t.Errorf("TryGet after success = %v, %v (Err %v); want 5, true (nil)", v, done, ok.Err())
		}
		return nil
	}, quiet())
}

func TestSpawnLaterDoesNotStartBeforeDelay(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		const d = 5 * time.Millisecond
		start := time.Now()
		var elapsed time.Duration
		started := false
		g := gevent.SpawnLater(ctx, d, func(context.Context) (struct{}, error) {
			started = true
			elapsed = time.Since(start)
			return struct{}{}, nil
		})
		if !g.Alive() || started {
			t.Errorf("after SpawnLater: alive=%v started=%v", g.Alive(), started)
		}
		for range 5 {
			gevent.Yield(ctx)
		}
		if started && time.Since(start) < d {
			t.Error("started before its delay")
		}
		if err := g.Join(ctx); err != nil {
			return err
		}
		if elapsed < d {
			t.Errorf("started after %v, want >= %v", elapsed, d)
		}
		return nil
	})
}

func TestSpawnLaterCancelBeforeStart(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ran := false
		g := gevent.SpawnLater(ctx, time.Millisecond, func(context.Context) (struct{}, error) {
			ran = true
			return struct{}{}, nil
		})
		if !g.Cancel() {
			t.Error("Cancel before start = false, want true")
		}
		if !g.Dead() || !g.Successful() || g.Err() != gevent.ErrGreenletExit {
			t.Errorf("after Cancel: dead=%v successful=%v err=%v", g.Dead(), g.Successful(), g.Err())
		}
		if err := gevent.Sleep(ctx, 5*time.Millisecond); err != nil {
			return err
		}
		if ran {
			t.Error("cancelled greenlet ran")
		}
		if g.Cancel() {
			t.Error("second Cancel = true")
		}
		return nil
	})
}

func TestCancelAfterStartDoesNothing(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			if err := gevent.Yield(ctx); err != nil {
				return 0, err
			}
			return 9, nil
		})
		gevent.Yield(ctx)
		if g.Cancel() {
			t.Error("Cancel after start = true, want false")
		}
		if v, err := g.Get(ctx); v != 9 || err != nil {
			t.Errorf("Get = %v, %v; want 9, nil", v, err)
		}
		return nil
	})
}

// test___ident: ids are small, per hub, assigned on first use, and the
// smallest free one goes to the next greenlet once its holder has ended.
func TestIDsAreSmallAndReused(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		g0 := gevent.Spawn(ctx, sleeper)
		g1 := gevent.Spawn(ctx, sleeper)
		g2 := gevent.Spawn(ctx, sleeper)
		if ids := []int{g0.ID(), g1.ID(), g2.ID()}; fmt.Sprint(ids) != "[0 1 2]" {
			t.Errorf("ids = %v, want [0 1 2]", ids)
		}
		if g1.ID() != 1 {
			t.Errorf("ID changed: %d", g1.ID())
		}
		gevent.Yield(ctx)
		// While g1 is alive its id is not reused.
		g3 := gevent.Spawn(ctx, sleeper)
		if g3.ID() != 3 {
			t.Errorf("id while all alive = %d, want 3", g3.ID())
		}
		g1.Kill(ctx)
		g2.Kill(ctx)
		g4 := gevent.Spawn(ctx, sleeper)
		g5 := gevent.Spawn(ctx, sleeper)
		if g4.ID() != 1 || g5.ID() != 2 {
			t.Errorf("ids after two ended = %d, %d; want 1, 2", g4.ID(), g5.ID())
		}
		g6 := gevent.Spawn(ctx, sleeper)
		if g6.ID() != 4 {
			t.Errorf("next id = %d, want 4", g6.ID())
		}
		if g0.Name() != "Greenlet-0" {
			t.Errorf("Name() = %q, want Greenlet-0", g0.Name())
		}
		return gevent.KillAll(ctx, []gevent.Task{g0, g3, g4, g5, g6})
	})
}

func TestIDsArePerHub(t *testing.T) {
	for range 2 {
		geventtest.Run(t, func(ctx context.Context) error {
			g := gevent.Spawn(ctx, noop)
			if g.ID() != 0 {
				t.Errorf("first id of a new hub = %d, want 0", g.ID())
			}
			return g.Join(ctx)
		})
	}
}

func TestNameAndString(t *testing.T) {
	errX := errors.New("went wrong")
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.Spawn(ctx, noop, gevent.WithName("worker"))
		if g.Name() != "worker" {
			t.Errorf("Name() = %q, want worker", g.Name())
		}
		s := g.String()
		if !strings.Contains(s, "worker") || !strings.Contains(s, "id=0") || !strings.Contains(s, "scheduled") {
			t.Errorf("String() before start = %q", s)
		}
		g.Join(ctx)
		if s := g.String(); !strings.Contains(s, "dead") || !strings.Contains(s, "succeeded") {
			t.Errorf("String() after success = %q", s)
		}
		f := gevent.Spawn(ctx, func(context.Context) (int, error) { return 0, errX })
		f.Join(ctx)
		if s := f.String(); !strings.Contains(s, "failed") || !strings.Contains(s, "went wrong") {
			t.Errorf("String() after failure = %q", s)
		}
		return nil
	}, quiet())
}

type namedRunner struct{}

func (namedRunner) Run(context.Context) (int, error) { return 5, nil }
func (namedRunner) String() string                   { return "named-runner" }

func TestSpawnRunner(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.SpawnRunner[int](ctx, namedRunner{})
		if v, err := g.Get(ctx); v != 5 || err != nil {
			t.Errorf("Get = %v, %v", v, err)
		}
		if g.Name() != "named-runner" {
			t.Errorf("Name() = %q", g.Name())
		}
		return nil
	})
}

func TestParent(t *testing.T) {
	h := serveHub(t)
	var fromHub gevent.Task
	geventtest.Run(t, func(ctx context.Context) error {
		main := gevent.Current(ctx)
		if main == nil {
			t.Fatal("Current(main ctx) = nil")
		}
		var child *gevent.Greenlet[struct{}]
		parent := gevent.Go(ctx, func(ctx context.Context) error {
			child = gevent.Spawn(ctx, noop)
			return child.Join(ctx)
		})
		parent.Join(ctx)
		if parent.Parent() != main {
			t.Errorf("Parent() of a greenlet spawned by main = %v, want %v", parent.Parent(), main)
		}
		if child.Parent() != gevent.Task(parent) {
			t.Errorf("Parent() = %v, want %v", child.Parent(), parent)
		}
		fromHub = gevent.New(h.Context(), noop).Parent()
		return nil
	})
	if fromHub != nil {
		t.Errorf("Parent() of a greenlet made from Hub.Context = %v, want nil", fromHub)
	}
}

func TestCurrent(t *testing.T) {
	if gevent.Current(context.Background()) != nil {
		t.Error("Current(Background) != nil")
	}
	geventtest.Run(t, func(ctx context.Context) error {
		var g *gevent.Greenlet[bool]
		g = gevent.Spawn(ctx, func(ctx context.Context) (bool, error) {
			return gevent.Current(ctx) == gevent.Task(g), nil
		})
		if ok, _ := g.Get(ctx); !ok {
			t.Error("Current inside a greenlet is not that greenlet")
		}
		return nil
	})
}

func spawnHere(ctx context.Context) *gevent.Greenlet[struct{}] {
	return gevent.Spawn(ctx, noop, gevent.WithSpawnStack())
}

func goHere(ctx context.Context) *gevent.Greenlet[struct{}] {
	return gevent.Go(ctx, func(context.Context) error { return nil }, gevent.WithSpawnStack())
}

// The recorded stack starts at the caller of the spawn function, whichever
// it is, with the hub option too.
func TestSpawnStackStartsAtTheCaller(t *testing.T) {
	check := func(what string, g *gevent.Greenlet[struct{}], want string) {
		if s := g.SpawnStack(); len(s) == 0 || !strings.HasSuffix(s[0].Function, want) {
			t.Errorf("%s: SpawnStack() = %v, want it to start at %s", what, s, want)
		}
	}
	geventtest.Run(t, func(ctx context.Context) error {
		check("Spawn", spawnHere(ctx), ".spawnHere")
		check("Go", goHere(ctx), ".goHere")
		return nil
	})
	geventtest.Run(t, func(ctx context.Context) error {
		check("hub option, Spawn", gevent.Spawn(ctx, noop), ".TestSpawnStackStartsAtTheCaller.func3")
		check("hub option, Go", gevent.Go(ctx, func(context.Context) error { return nil }), ".TestSpawnStackStartsAtTheCaller.func3")
		return nil
	}, gevent.WithSpawnStacks())
}

func TestSpawnStack(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		g := spawnHere(ctx)
		found := false
		for _, f := range g.SpawnStack() {
			if strings.HasSuffix(f.Function, ".spawnHere") {
				found = true
			}
		}
		if !found {
			t.Errorf("SpawnStack() = %v, want it to contain spawnHere", g.SpawnStack())
		}
		if s := gevent.Spawn(ctx, noop).SpawnStack(); s != nil {
			t.Errorf("SpawnStack() without the option = %v, want nil", s)
		}
		return nil
	})
	geventtest.Run(t, func(ctx context.Context) error {
		if gevent.Spawn(ctx, noop).SpawnStack() == nil {
			t.Error("SpawnStack() with WithSpawnStacks = nil")
		}
		return nil
	}, gevent.WithSpawnStacks())
}

func TestAddSpawnCallback(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var seen []gevent.Task
		remove := gevent.AddSpawnCallback(func(t gevent.Task) { seen = append(seen, t) })
		defer remove()
		g := gevent.Spawn(ctx, noop)
		if len(seen) != 1 || seen[0] != gevent.Task(g) {
			t.Errorf("after Spawn, callback saw %v, want [%v] (synchronously)", seen, g)
		}
		n := gevent.New(ctx, noop)
		if len(seen) != 1 {
			t.Error("New ran the spawn callback")
		}
		n.Start()
		n.Start()
		l := gevent.SpawnLater(ctx, 0, noop)
		gevent.SpawnRaw(ctx, func(context.Context) {})
		if len(seen) != 3 || seen[1] != gevent.Task(n) || seen[2] != gevent.Task(l) {
			t.Errorf("callback saw %v, want [g n l]", seen)
		}
		remove()
		gevent.Spawn(ctx, noop)
		if len(seen) != 3 {
			t.Error("callback ran after remove")
		}
		return nil
	})
}

func TestStartTwiceIsNoOp(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		runs := 0
		g := gevent.New(ctx, func(context.Context) (struct{}, error) { runs++; return struct{}{}, nil })
		if g.Alive() || g.Dead() {
			t.Errorf("New: alive=%v dead=%v", g.Alive(), g.Dead())
		}
		g.Start()
		g.Start()
		g.Join(ctx)
		g.Start()
		g.StartLater(0)
		for range 3 {
			gevent.Yield(ctx)
		}
		if runs != 1 {
			t.Errorf("body ran %d times, want 1", runs)
		}
		return nil
	})
}

func TestStartLater(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		start := time.Now()
		var at time.Duration
		g := gevent.New(ctx, func(context.Context) (struct{}, error) { at = time.Since(start); return struct{}{}, nil })
		g.StartLater(2 * time.Millisecond)
		g.Join(ctx)
		if at < 2*time.Millisecond {
			t.Errorf("ran after %v, want >= 2ms", at)
		}
		return nil
	})
}

func TestNegativeDurationsCountAsZero(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var log logger
		gevent.Go(ctx, func(context.Context) error { log.add("other"); return nil })
		if err := gevent.Sleep(ctx, -1); err != nil {
			t.Errorf("Sleep(-1) = %v", err)
		}
		log.add("main")
		log.check(t, "other", "main") // Sleep(-1) yielded

		g := gevent.SpawnLater(ctx, -time.Second, func(context.Context) (int, error) { return 1, nil })
		if v, err := g.Get(ctx); v != 1 || err != nil {
			t.Errorf("SpawnLater(-1s): Get = %v, %v", v, err)
		}

		to := gevent.NewTimeout(-time.Second, nil)
		if to.Duration() != 0 {
			t.Errorf("NewTimeout(-1s).Duration() = %v, want 0", to.Duration())
		}
		err := gevent.Sleep(to.Start(ctx), time.Hour)
		if !errors.Is(err, to) {
			t.Errorf("Sleep under NewTimeout(-1s) = %v, want that timeout", err)
		}
		return nil
	})
}

func TestMisusePanics(t *testing.T) {
	h := serveHub(t)
	hctx := h.Context()
	bg := context.Background()
	mustPanic(t, "Spawn(nil)", func() { gevent.Spawn[int](hctx, nil) })
	mustPanic(t, "New(nil)", func() { gevent.New[int](hctx, nil) })
	mustPanic(t, "SpawnLater(nil)", func() { gevent.SpawnLater[int](hctx, 0, nil) })
	mustPanic(t, "SpawnRaw(nil)", func() { gevent.SpawnRaw(hctx, nil) })
	mustPanic(t, "SpawnRunner(nil)", func() { gevent.SpawnRunner[int](hctx, nil) })
	mustPanic(t, "Run(nil)", func() { gevent.Run(bg, nil) })
	mustPanic(t, "Blocking(nil)", func() { gevent.Blocking[int](bg, nil) })
	mustPanic(t, "WithTimeoutFunc(nil)", func() { gevent.WithTimeoutFunc[int](bg, time.Second, nil) })
	mustPanic(t, "AddSpawnCallback(nil)", func() { gevent.AddSpawnCallback(nil) })
	mustPanic(t, "SignalHandler(nil)", func() { gevent.SignalHandler(hctx, nil, nil) })
	g := gevent.New(hctx, noop)
	mustPanic(t, "Link(nil)", func() { g.Link(nil) })
	mustPanic(t, "RawLink(nil)", func() { g.RawLink(nil) })
	mustPanic(t, "LinkValue(nil)", func() { g.LinkValue(nil) })
	mustPanic(t, "LinkException(nil)", func() { g.LinkException(nil) })
	mustPanic(t, "Spawn without a hub", func() { gevent.Spawn(bg, noop) }, "Run", "Hub")
	mustPanic(t, "SpawnRaw without a hub", func() { gevent.SpawnRaw(bg, func(context.Context) {}) }, "Run", "Hub")
	mustPanic(t, "SpawnLater without a hub", func() { gevent.SpawnLater(bg, time.Second, noop) }, "Run", "Hub")
	mustPanic(t, "SignalHandler without a hub", func() { gevent.SignalHandler(bg, nil, func(context.Context) {}) }, "Run", "Hub")
	to := gevent.NewTimeout(time.Hour, nil)
	to.Start(bg)
	mustPanic(t, "Timeout.Start while pending", func() { to.Start(bg) })
	to.Cancel()
}

// reference §2.5: kill of a greenlet that has not started records its death
// without switching.
func TestKillUnstartedDoesNotSwitch(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ran := false
		gevent.Go(ctx, func(context.Context) error { ran = true; return nil })
		g := gevent.Spawn(ctx, noop)
		g.Kill(ctx)
		if ran {
			t.Error("Kill of an unstarted greenlet switched to the hub")
		}
		dead := gevent.Spawn(ctx, noop)
		dead.Join(ctx)
		ran = false
		gevent.Go(ctx, func(context.Context) error { ran = true; return nil })
		dead.Kill(ctx)
		if ran {
			t.Error("Kill of a dead greenlet switched to the hub")
		}
		return nil
	})
}

// reference §2.5 timing subtlety: a greenlet killed while it is queued in
// Yield resumes normally and sees the kill at its next switch point.
func TestKillDuringYieldSeenAtNextSwitchPoint(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var yieldErr, sleepErr error
		g := gevent.Go(ctx, func(ctx context.Context) error {
			yieldErr = gevent.Yield(ctx)
			sleepErr = gevent.Sleep(ctx, time.Hour)
			return sleepErr
		})
		gevent.Yield(ctx) // g starts and yields: its resumption is queued
		g.Kill(ctx)
		if yieldErr != nil || sleepErr != gevent.ErrGreenletExit {
			t.Errorf("Yield = %v, next Sleep = %v; want nil, ErrGreenletExit", yieldErr, sleepErr)
		}
		return nil
	})
}
