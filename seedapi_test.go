package gevent_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
)

// gevent's value is None unless the greenlet succeeded: Value, Get and
// TryGet never hand out a value that came with a failure (an error, a
// panic, a kill with KillError), while a default kill (ErrGreenletExit)
// keeps the function's value.
func TestValueIsZeroUnlessSuccessful(t *testing.T) {
	errX := errors.New("x")
	geventtest.Run(t, func(ctx context.Context) error {
		failed := gevent.Spawn(ctx, func(context.Context) (int, error) { return 4, errX })
		panicked := gevent.Spawn(ctx, func(context.Context) (int, error) { panic("boom") })
		customKill := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 5, gevent.Sleep(ctx, time.Hour)
		})
		exitKill := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 6, gevent.Sleep(ctx, time.Hour)
		})
		gevent.Yield(ctx)
		customKill.Kill(ctx, gevent.KillError(errX))
		exitKill.Kill(ctx)
		if _, err := gevent.JoinAll(ctx, []*gevent.Greenlet[int]{failed, panicked}); err != nil {
			return err
		}
		for _, c := range []struct {
			name string
			g    *gevent.Greenlet[int]
			want int
		}{{"failed", failed, 0}, {"panicked", panicked, 0}, {"KillError", customKill, 0}, {"default kill", exitKill, 6}} {
			if v := c.g.Value(); v != c.want {
				t.Errorf("%s: Value() = %d, want %d", c.name, v, c.want)
			}
			if v, err := c.g.Get(ctx); v != c.want || err != c.g.Err() {
				t.Errorf("%s: Get = %d, %v; want %d, %v", c.name, v, err, c.want, c.g.Err())
			}
			if v, ok := c.g.TryGet(); !ok || v != c.want {
				t.Errorf("%s: TryGet = %d, %v; want %d, true", c.name, v, ok, c.want)
			}
		}
		return nil
	}, quiet())
}

// Alive is gevent's bool(g) (and its deprecated started): true from Start
// (or StartLater) until the end, false before Start, after the end and
// after a kill before the start.
func TestAliveIsGeventBool(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.New(ctx, sleeper)
		if g.Alive() {
			t.Error("Alive() before Start")
		}
		g.Start()
		if !g.Alive() {
			t.Error("!Alive() once scheduled")
		}
		gevent.Yield(ctx)
		if !g.Alive() {
			t.Error("!Alive() while running")
		}
		g.Kill(ctx)
		if g.Alive() {
			t.Error("Alive() after the end")
		}
		later := gevent.SpawnLater(ctx, time.Hour, noop)
		if !later.Alive() {
			t.Error("!Alive() while its start is delayed")
		}
		later.Kill(ctx)
		if later.Alive() {
			t.Error("Alive() after a kill before the start")
		}
		return nil
	})
}

// guv's kill yields: the killed greenlet reacts to the kill (here: its
// blocking call returns and it logs) before Kill returns to the killer, and
// the links of a greenlet killed before it started have run. With a context
// that carries no greenlet it is gevent's kill, which does not switch; a
// dead target does not switch either.
func TestKillYieldsToTheKilled(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var log logger
		target := gevent.Go(ctx, func(ctx context.Context) error {
			err := gevent.Sleep(ctx, time.Hour)
			log.add("target saw %v", err)
			return err
		})
		gevent.Yield(ctx)
		gevent.Kill(ctx, target)
		log.add("Kill returned")
		log.check(t, "target saw gevent: greenlet exit", "Kill returned")

		var log2 logger
		unstarted := gevent.Go(ctx, func(context.Context) error { return nil })
		unstarted.RawLink(func(*gevent.Greenlet[struct{}]) { log2.add("link") })
		gevent.Kill(ctx, unstarted)
		log2.add("Kill returned")
		log2.check(t, "link", "Kill returned")

		var log3 logger
		noWait := gevent.Go(ctx, func(ctx context.Context) error {
			err := gevent.Sleep(ctx, time.Hour)
			log3.add("target saw it")
			return err
		})
		gevent.Yield(ctx)
		gevent.Kill(context.Background(), noWait)
		log3.add("Kill returned")
		if err := noWait.Join(ctx); err != nil {
			return err
		}
		log3.check(t, "Kill returned", "target saw it")

		var log4 logger
		gevent.Go(ctx, func(context.Context) error { log4.add("other ran"); return nil })
		gevent.Kill(ctx, target) // already dead
		log4.add("Kill returned")
		gevent.Yield(ctx)
		log4.check(t, "Kill returned", "other ran")
		return nil
	})
}

// Kill from a plain goroutine cannot yield: it kills and returns.
func TestKillFromGoroutine(t *testing.T) {
	h := serveHub(t)
	g := gevent.Spawn(h.Context(), sleeper)
	gevent.Kill(context.Background(), g)
	if err := g.Join(context.Background()); err != nil || g.Err() != gevent.ErrGreenletExit {
		t.Errorf("Join = %v, Err() = %v; want nil, ErrGreenletExit", err, g.Err())
	}
}

// Go is Spawn for a body that returns only an error.
func TestGo(t *testing.T) {
	errX := errors.New("x")
	geventtest.Run(t, func(ctx context.Context) error {
		ok := gevent.Go(ctx, func(ctx context.Context) error { return gevent.Yield(ctx) }, gevent.WithName("ok"))
		bad := gevent.Go(ctx, func(context.Context) error { return errX })
		ended, err := gevent.JoinAll(ctx, []*gevent.Greenlet[struct{}]{ok, bad})
		if err != nil || len(ended) != 2 || ended[0] != bad {
			t.Errorf("JoinAll = %v, %v; want [bad ok]", ended, err)
		}
		if ok.Name() != "ok" || ok.Err() != nil || !ok.Successful() {
			t.Errorf("ok: name %q, err %v", ok.Name(), ok.Err())
		}
		if _, err := bad.Get(ctx); err != errX || bad.Successful() {
			t.Errorf("bad: Get err = %v, want x", err)
		}
		if gevent.Current(ctx) == nil || gevent.Current(ctx).Name() != "main" {
			t.Error("Run's main is not a named greenlet")
		}
		return nil
	}, quiet())
}

// Go's greenlet (the handle and the error-only function in one object) costs
// what Spawn's costs: as many allocations and the same bytes (it cost 32 B
// more, a larger size class, before Greenlet's fields were reordered), so
// code and benchmarks may use either.
func TestGoCostsWhatSpawnCosts(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		const n = 1000
		tasks := make([]gevent.Task, n)
		// measure returns the least allocations and bytes per spawn over
		// a few rounds (the least is the one no other goroutine disturbed).
		measure := func(spawn func() gevent.Task) (allocs, bytes uint64) {
			allocs, bytes = ^uint64(0), ^uint64(0)
			for range 5 {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i := range tasks {
					tasks[i] = spawn()
				}
				runtime.ReadMemStats(&after)
				if _, err := gevent.JoinAll(ctx, tasks); err != nil {
					t.Fatal(err)
				}
				allocs = min(allocs, (after.Mallocs-before.Mallocs)/n)
				bytes = min(bytes, (after.TotalAlloc-before.TotalAlloc)/n)
			}
			return allocs, bytes
		}
		sa, sb := measure(func() gevent.Task { return gevent.Spawn(ctx, noop) })
		ga, gb := measure(func() gevent.Task { return gevent.Go(ctx, noopErr) })
		// Go's body keeps its func beside the Greenlet: at most one word
		// more, one size class up at worst (208 B against 192 B today).
		if ga > sa || gb > sb+16 {
			t.Errorf("Go: %d allocs, %d B per greenlet; Spawn: %d allocs, %d B", ga, gb, sa, sb)
		}
		return nil
	})
}

func noopErr(context.Context) error { return nil }

// JoinAll, KillAll, Wait and Iwait take a []*Greenlet[T] and give back the
// same type (no type assertion), and still take []Task and []Waitable.
func TestCollectionsKeepTheirType(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		a := gevent.Spawn(ctx, yielder(2), gevent.WithName("a"))
		b := gevent.Spawn(ctx, yielder(1), gevent.WithName("b"))
		typed := []*gevent.Greenlet[int]{a, b}

		var ended []*gevent.Greenlet[int]
		ended, err := gevent.JoinAll(ctx, typed)
		if err != nil || !slices.Equal(ended, []*gevent.Greenlet[int]{b, a}) {
			t.Errorf("JoinAll(typed) = %v, %v; want [b a]", ended, err)
		}
		var waited []*gevent.Greenlet[int]
		waited, err = gevent.Wait(ctx, typed, gevent.Count(1))
		if err != nil || len(waited) != 1 || waited[0].Value() != 2 {
			t.Errorf("Wait(typed, Count(1)) = %v, %v", waited, err)
		}
		sum := 0
		for g := range gevent.Iwait(ctx, typed) {
			sum += g.Value()
		}
		if sum != 3 {
			t.Errorf("Iwait(typed) values sum to %d, want 3", sum)
		}
		if err := gevent.KillAll(ctx, typed); err != nil {
			t.Errorf("KillAll(typed) = %v", err)
		}

		tasks, err := gevent.JoinAll(ctx, []gevent.Task{a, b})
		if err != nil || len(tasks) != 2 {
			t.Errorf("JoinAll([]Task) = %v, %v", tasks, err)
		}
		objs, err := gevent.Wait(ctx, []gevent.Waitable{a, b})
		if err != nil || len(objs) != 2 {
			t.Errorf("Wait([]Waitable) = %v, %v", objs, err)
		}
		return nil
	})
}

// Iwait takes a count like Wait and JoinAll: it yields that many and then
// removes every callback it registered.
func TestIwaitCount(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		fs := []*flag{{}, {}, {}}
		gevent.Go(ctx, func(ctx context.Context) error {
			fs[2].Set()
			gevent.Yield(ctx)
			fs[0].Set()
			return nil
		})
		var got []*flag
		for f := range gevent.Iwait(ctx, fs, gevent.Count(2)) {
			got = append(got, f)
		}
		if !slices.Equal(got, []*flag{fs[2], fs[0]}) {
			t.Errorf("Iwait(Count(2)) = %v, want [f2 f0]", got)
		}
		if fs[1].pending() != 0 {
			t.Errorf("pending callbacks after Iwait(Count(2)) = %d", fs[1].pending())
		}
		// More than there are: all of them (0 is none:
		// TestCountZeroReturnsNoneAtOnce).
		got = got[:0]
		fs[1].Set()
		for f := range gevent.Iwait(ctx, fs, gevent.Count(10)) {
			got = append(got, f)
		}
		if len(got) != 3 {
			t.Errorf("Iwait(Count(10)) yielded %d, want 3", len(got))
		}
		return nil
	})
}

// Wait with no objects returns at once (what it should wait for then is
// decided in one place, waitNothing).
func TestWaitNoObjects(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		got, err := gevent.Wait(ctx, []gevent.Waitable(nil))
		if err != nil || len(got) != 0 {
			t.Errorf("Wait(none) = %v, %v", got, err)
		}
		return nil
	})
}

// stubborn returns a greenlet body that ignores kills until release is
// closed or a second has passed, so that a Kill that waits without bound
// fails the test (the greenlet is dead when it returns) instead of hanging.
func stubborn(release <-chan struct{}) func(context.Context) error {
	return func(ctx context.Context) error {
		for end := time.Now().Add(time.Second); time.Now().Before(end); {
			select {
			case <-release:
				return nil
			default:
			}
			gevent.Sleep(context.WithoutCancel(ctx), time.Millisecond)
		}
		return nil
	}
}

// issue 10 item 8: a kill bounded by a timeout of zero or less does not
// wait, as a zero or negative duration does everywhere in the library (it
// used to wait without bound). Issue 11 made the bound the ctx's
// (WithTimeout) instead of a KillTimeout option.
func TestKillZeroTimeoutDoesNotWait(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		for _, d := range []time.Duration{0, -time.Second} {
			release := make(chan struct{})
			g := gevent.Go(ctx, stubborn(release))
			gevent.Yield(ctx)
			tctx, cancel := gevent.WithTimeout(ctx, d)
			g.Kill(tctx)
			if g.Dead() {
				t.Errorf("Kill(WithTimeout(ctx, %v)) waited for the end", d)
			}
			err := gevent.KillAll(tctx, []*gevent.Greenlet[struct{}]{g})
			var to *gevent.Timeout
			if !errors.As(err, &to) || !errors.Is(err, context.Cause(tctx)) || g.Dead() {
				t.Errorf("KillAll(WithTimeout(ctx, %v)) = %v, dead = %v; want its *Timeout at once", d, err, g.Dead())
			}
			close(release)
			if err := g.Join(ctx); err != nil {
				return err
			}
			// Nothing alive: nothing to report.
			if err := gevent.KillAll(tctx, []*gevent.Greenlet[struct{}]{g}); err != nil {
				t.Errorf("KillAll(WithTimeout(ctx, %v)) of dead tasks = %v", d, err)
			}
			cancel()
		}
		return nil
	})
}
