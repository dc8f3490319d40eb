package gevent_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/internal/testutil"
)

// yielder returns a body that yields n times and then returns n.
func yielder(n int) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		for range n {
			if err := gevent.Yield(ctx); err != nil {
				return 0, err
			}
		}
		return n, nil
	}
}

func names(ts []gevent.Task) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name())
	}
	return out
}

// test__joinall test_joinall_exception_order: RaiseError returns the error
// of the first greenlet to fail in time, not the first in the list; the
// others keep running.
func TestJoinAllRaiseErrorFirstToFail(t *testing.T) {
	errFirst, errSecond := errors.New("first"), errors.New("second")
	geventtest.Run(t, func(ctx context.Context) error {
		first := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			if err := gevent.Sleep(ctx, time.Hour); err != nil {
				return 0, err
			}
			return 0, errFirst
		})
		second := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			gevent.Yield(ctx)
			return 0, errSecond
		})
		ready, err := gevent.JoinAll(ctx, []gevent.Task{first, second}, gevent.RaiseError())
		if err != errSecond {
			t.Errorf("JoinAll err = %v, want %v", err, errSecond)
		}
		if len(ready) != 1 || ready[0] != gevent.Task(second) {
			t.Errorf("JoinAll ready = %v, want [second]", ready)
		}
		if first.Dead() {
			t.Error("JoinAll(RaiseError) killed the other greenlet")
		}
		first.Kill(ctx)
		return nil
	}, quiet())
}

func TestJoinAllRaiseErrorIgnoresGreenletExit(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		killed := gevent.Spawn(ctx, sleeper)
		ok := gevent.Go(ctx, func(ctx context.Context) error {
			gevent.Yield(ctx)
			return nil
		})
		unstarted := gevent.Spawn(ctx, noop)
		unstarted.Kill(ctx)
		gevent.Yield(ctx)
		gevent.Kill(context.Background(), killed) // no wait, no switch
		ready, err := gevent.JoinAll(ctx, []gevent.Task{killed, ok, unstarted}, gevent.RaiseError())
		if err != nil || len(ready) != 3 {
			t.Errorf("JoinAll = %v, %v; want 3 tasks, nil", ready, err)
		}
		return nil
	})
}

func TestJoinAllCount(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		a := gevent.Spawn(ctx, sleeper, gevent.WithName("a"))
		b := gevent.Spawn(ctx, yielder(5), gevent.WithName("b"))
		c := gevent.Spawn(ctx, yielder(1), gevent.WithName("c"))
		tasks := []gevent.Task{a, b, c}
		ready, err := gevent.JoinAll(ctx, tasks, gevent.Count(1))
		if err != nil || !slices.Equal(names(ready), []string{"c"}) {
			t.Errorf("JoinAll(Count(1)) = %v, %v; want [c], nil", names(ready), err)
		}
		ready, err = gevent.JoinAll(ctx, tasks, gevent.Count(2))
		if err != nil || !slices.Equal(names(ready), []string{"c", "b"}) {
			t.Errorf("JoinAll(Count(2)) = %v, %v; want [c b], nil", names(ready), err)
		}
		if a.Dead() {
			t.Error("a ended")
		}
		a.Kill(ctx)
		return nil
	})
}

// Count(0) asks for none: JoinAll, Wait and Iwait return nothing at once,
// without switching (gevent's joinall/wait/iwait with count=0 return [] and
// the greenlets have not run); a negative count panics.
func TestCountZeroReturnsNoneAtOnce(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ran := false
		g := gevent.Spawn(ctx, func(context.Context) (int, error) {
			ran = true
			return 0, nil
		})
		tasks := []gevent.Task{g}
		if ready, err := gevent.JoinAll(ctx, tasks, gevent.Count(0)); err != nil || len(ready) != 0 {
			t.Errorf("JoinAll(Count(0)) = %v, %v; want none, nil", names(ready), err)
		}
		if ready, err := gevent.Wait(ctx, tasks, gevent.Count(0)); err != nil || len(ready) != 0 {
			t.Errorf("Wait(Count(0)) = %d objects, %v; want none, nil", len(ready), err)
		}
		for range gevent.Iwait(ctx, tasks, gevent.Count(0)) {
			t.Error("Iwait(Count(0)) yielded")
		}
		if ran {
			t.Error("Count(0) switched: the spawned greenlet ran")
		}
		if ready, err := gevent.JoinAll(ctx, tasks); err != nil || len(ready) != 1 {
			t.Errorf("JoinAll without Count = %v, %v; want all, nil", names(ready), err)
		}
		return nil
	})
	if got := testutil.PanicMessage(func() { gevent.Count(-1) }); got != "gevent: Count: negative count -1" {
		t.Errorf("Count(-1) panic = %q", got)
	}
}

func TestJoinAllReturnsInEndOrder(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		for _, opts := range [][]gevent.WaitOption{nil, {gevent.RaiseError()}, {gevent.Count(3)}} {
			a := gevent.Spawn(ctx, yielder(3), gevent.WithName("a"))
			b := gevent.Spawn(ctx, yielder(1), gevent.WithName("b"))
			c := gevent.Spawn(ctx, yielder(2), gevent.WithName("c"))
			ready, err := gevent.JoinAll(ctx, []gevent.Task{a, b, c}, opts...)
			if err != nil || !slices.Equal(names(ready), []string{"b", "c", "a"}) {
				t.Errorf("JoinAll(%d opts) = %v, %v; want [b c a], nil", len(opts), names(ready), err)
			}
		}
		return nil
	})
}

// JoinAll orders by end, whatever the spread of the end numbers: many
// tasks ending in a shuffled order (the end numbers are dense: counted into
// place; or put at their ranks when nothing else ends meanwhile), a few
// ending far apart (sparse: sorted), and a task listed twice (both copies,
// adjacent, at its end).
func TestJoinAllEndOrderMany(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		const n = 300
		r := rand.New(rand.NewPCG(3, 4))
		yields := r.Perm(n) // distinct: greenlet k ends in round yields[k]
		tasks := make([]gevent.Task, n)
		for k := range tasks {
			tasks[k] = gevent.Spawn(ctx, yielder(yields[k]))
		}
		want := slices.Clone(tasks)
		slices.SortFunc(want, func(a, b gevent.Task) int {
			return yields[slices.Index(tasks, a)] - yields[slices.Index(tasks, b)]
		})
		// Nothing else ends meanwhile: each goes straight to its rank.
		ready, err := gevent.JoinAll(ctx, tasks)
		if err != nil || !slices.Equal(ready, want) {
			t.Errorf("JoinAll of %d shuffled ends: err %v, order differs from the end order", n, err)
		}
		// Again, all ended before the call, one listed twice.
		dup := append(slices.Clone(tasks), tasks[0])
		ready, err = gevent.JoinAll(ctx, dup)
		i := slices.Index(want, tasks[0])
		wantDup := slices.Insert(slices.Clone(want), i, tasks[0])
		if err != nil || !slices.Equal(ready, wantDup) {
			t.Errorf("JoinAll of %d shuffled ends: err %v, order differs from the end order", n, err)
		}

		a := gevent.Spawn(ctx, yielder(3), gevent.WithName("a"))
		b := gevent.Spawn(ctx, yielder(1), gevent.WithName("b"))
		for range 50 { // ends numbered between b's and a's
			gevent.Spawn(ctx, yielder(2))
		}
		ready, err = gevent.JoinAll(ctx, []gevent.Task{a, b, a})
		if err != nil || !slices.Equal(names(ready), []string{"b", "a", "a"}) {
			t.Errorf("JoinAll(a b a) with ends far apart = %v, %v; want [b a a], nil", names(ready), err)
		}
		return nil
	})
}

// gevent's wait: objects that are already ready come back in list order.
func TestJoinAllOfEndedTasksInListOrder(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		a := gevent.Spawn(ctx, yielder(2), gevent.WithName("a"))
		b := gevent.Spawn(ctx, yielder(1), gevent.WithName("b"))
		if err := a.Join(ctx); err != nil {
			return err
		}
		ready, err := gevent.JoinAll(ctx, []gevent.Task{a, b}, gevent.RaiseError())
		if err != nil || !slices.Equal(names(ready), []string{"a", "b"}) {
			t.Errorf("JoinAll = %v, %v; want [a b], nil", names(ready), err)
		}
		return nil
	})
}

// test__joinall: duplicates are allowed and JoinAll terminates.
func TestJoinAllDuplicates(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		a := gevent.Spawn(ctx, yielder(1))
		b := gevent.Spawn(ctx, yielder(2))
		ready, err := gevent.JoinAll(ctx, []gevent.Task{a, b, a})
		if err != nil || len(ready) != 3 {
			t.Errorf("JoinAll([a b a]) = %v, %v", ready, err)
		}
		ready, err = gevent.JoinAll(ctx, []gevent.Task{a, b, a}, gevent.RaiseError())
		if err != nil || len(ready) != 3 {
			t.Errorf("JoinAll([a b a], RaiseError) = %v, %v", ready, err)
		}
		return nil
	})
}

func TestJoinAllTimeoutReturnsThoseEnded(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		a := gevent.Spawn(ctx, sleeper, gevent.WithName("a"))
		b := gevent.Spawn(ctx, yielder(1), gevent.WithName("b"))
		for _, opts := range [][]gevent.WaitOption{nil, {gevent.RaiseError()}} {
			tctx, cancel := gevent.WithTimeout(ctx, 2*time.Millisecond)
			ready, err := gevent.JoinAll(tctx, []gevent.Task{a, b}, opts...)
			cancel()
			var to *gevent.Timeout
			if !errors.As(err, &to) || !slices.Equal(names(ready), []string{"b"}) {
				t.Errorf("JoinAll(%d opts) = %v, %v; want [b], a *Timeout", len(opts), names(ready), err)
			}
		}
		a.Kill(ctx)
		return nil
	})
}

func TestJoinAllEmpty(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ready, err := gevent.JoinAll(ctx, []gevent.Task(nil))
		if err != nil || len(ready) != 0 {
			t.Errorf("JoinAll(nil) = %v, %v", ready, err)
		}
		return nil
	})
}

func TestIwaitYieldsInReadyOrder(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		a := gevent.Spawn(ctx, yielder(3), gevent.WithName("a"))
		b := gevent.Spawn(ctx, yielder(1), gevent.WithName("b"))
		c := gevent.Spawn(ctx, yielder(2), gevent.WithName("c"))
		var got []string
		for w := range gevent.Iwait(ctx, []gevent.Task{a, b, c}) {
			got = append(got, w.Name())
		}
		if !slices.Equal(got, []string{"b", "c", "a"}) {
			t.Errorf("Iwait order = %v, want [b c a]", got)
		}
		return nil
	})
}

// Already-ready objects come back in list order.
func TestIwaitReadyObjectsInListOrder(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var fs [4]*flag
		objs := make([]gevent.Waitable, len(fs))
		for i := range fs {
			fs[i] = &flag{}
			fs[i].Set()
			objs[i] = fs[i]
		}
		var got []gevent.Waitable
		for w := range gevent.Iwait(ctx, objs) {
			got = append(got, w)
		}
		if !slices.Equal(got, objs) {
			t.Errorf("Iwait of ready objects = %v, want %v", got, objs)
		}
		return nil
	})
}

// test__iwait test_iwait_nogarbage: breaking out of the loop removes every
// callback Iwait registered.
func TestIwaitBreakRemovesCallbacks(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		f1, f2, f3 := &flag{}, &flag{}, &flag{}
		gevent.Go(ctx, func(context.Context) error { f1.Set(); return nil })
		n := 0
		for w := range gevent.Iwait(ctx, []*flag{f1, f2, f3}) {
			n++
			if w != f1 {
				t.Errorf("first ready = %v, want f1", w)
			}
			if f2.pending() != 1 || f3.pending() != 1 {
				t.Errorf("inside the loop: pending callbacks = %d, %d; want 1, 1", f2.pending(), f3.pending())
			}
			break
		}
		if n != 1 {
			t.Errorf("loop ran %d times", n)
		}
		if f2.pending() != 0 || f3.pending() != 0 {
			t.Errorf("after break: pending callbacks = %d, %d; want 0, 0", f2.pending(), f3.pending())
		}

		// The same holds for greenlets: nothing runs for the abandoned
		// iteration when they end later, and Join still works.
		g := gevent.Spawn(ctx, yielder(2))
		h := gevent.Spawn(ctx, yielder(1))
		for range gevent.Iwait(ctx, []*gevent.Greenlet[int]{g, h}) {
			break
		}
		if err := g.Join(ctx); err != nil || !g.Dead() {
			t.Errorf("Join after abandoned Iwait = %v", err)
		}
		return nil
	})
}

func TestIwaitTimeoutEndsQuietlyAndRemovesCallbacks(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		f1, f2 := &flag{}, &flag{}
		tctx, cancel := gevent.WithTimeout(ctx, 2*time.Millisecond)
		defer cancel()
		n := 0
		for range gevent.Iwait(tctx, []*flag{f1, f2}) {
			n++
		}
		if n != 0 || f1.pending() != 0 || f2.pending() != 0 {
			t.Errorf("after timeout: yielded %d, pending %d, %d; want 0 0 0", n, f1.pending(), f2.pending())
		}
		return nil
	})
}

// test__issue467: objects that become ready while the loop body runs are
// buffered, not lost.
func TestIwaitBuffersReadyDuringBody(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		fs := []*flag{{}, {}, {}}
		objs := []gevent.Waitable{fs[0], fs[1], fs[2]}
		gevent.Go(ctx, func(context.Context) error { fs[1].Set(); return nil })
		var got []gevent.Waitable
		for w := range gevent.Iwait(ctx, objs) {
			got = append(got, w)
			if len(got) == 1 {
				fs[2].Set()
				gevent.Yield(ctx)
				fs[0].Set()
			}
		}
		if want := []gevent.Waitable{fs[1], fs[2], fs[0]}; !slices.Equal(got, want) {
			t.Errorf("Iwait = %v, want %v", got, want)
		}
		return nil
	})
}

func TestWaitMixedObjects(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		f := &flag{}
		gi := gevent.Spawn(ctx, yielder(2))
		gs := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			gevent.Yield(ctx)
			f.Set()
			return "s", nil
		})
		objs := []gevent.Waitable{gi, f, gs}
		got, err := gevent.Wait(ctx, objs, gevent.Count(2))
		if err != nil || !slices.Equal(got, []gevent.Waitable{f, gs}) {
			t.Errorf("Wait(count 2) = %v, %v; want [f gs]", got, err)
		}
		got, err = gevent.Wait(ctx, objs)
		if err != nil || len(got) != 3 {
			t.Errorf("Wait(all) = %v, %v", got, err)
		}
		return nil
	})
}

func TestWaitTimeoutReturnsThoseReady(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		f1, f2 := &flag{}, &flag{}
		f1.Set()
		tctx, cancel := gevent.WithTimeout(ctx, 2*time.Millisecond)
		defer cancel()
		got, err := gevent.Wait(tctx, []gevent.Waitable{f1, f2})
		if !errors.Is(err, context.DeadlineExceeded) || !slices.Equal(got, []gevent.Waitable{f1}) {
			t.Errorf("Wait = %v, %v; want [f1], DeadlineExceeded", got, err)
		}
		if f2.pending() != 0 {
			t.Errorf("pending callbacks after Wait = %d", f2.pending())
		}
		return nil
	})
}

// A standard context.WithTimeout deadline can end the main greenlet's wait,
// so the hub must not declare ErrLoopExit while one is pending.
func TestStdDeadlineIsNotLoopExit(t *testing.T) {
	var errs []error
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.New(ctx, noop)
		f := &flag{}
		for _, wait := range []func(context.Context) error{
			g.Join,
			func(ctx context.Context) error { _, err := gevent.Wait(ctx, []gevent.Waitable{f}); return err },
		} {
			tctx, cancel := context.WithTimeout(ctx, 2*time.Millisecond)
			errs = append(errs, wait(tctx))
			cancel()
		}
		return nil
	})
	for i, err := range errs {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("wait %d under context.WithTimeout returned %v, want DeadlineExceeded", i, err)
		}
	}
}

// Wait from a plain goroutine blocks it until a greenlet sets the flag.
func TestWaitFromGoroutine(t *testing.T) {
	h := gevent.NewHub()
	done := make(chan error, 1)
	go func() { done <- h.Serve(context.Background()) }()
	f := &flag{}
	gevent.Go(h.Context(), func(ctx context.Context) error {
		gevent.Yield(ctx)
		f.Set()
		return nil
	})
	got, err := gevent.Wait(context.Background(), []gevent.Waitable{f})
	if err != nil || len(got) != 1 {
		t.Errorf("Wait = %v, %v", got, err)
	}
	h.Stop()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v", err)
	}
}

func TestKillAll(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		deferred := 0
		body := func(ctx context.Context) error {
			defer func() { deferred++ }()
			return gevent.Sleep(ctx, time.Hour)
		}
		a := gevent.Go(ctx, body)
		b := gevent.Go(ctx, body)
		gevent.Yield(ctx)
		ran := false
		unstarted := gevent.Go(ctx, func(context.Context) error { ran = true; return nil })
		tasks := []gevent.Task{a, unstarted, b}
		if err := gevent.KillAll(ctx, tasks); err != nil {
			t.Errorf("KillAll = %v", err)
		}
		for _, tk := range tasks {
			if !tk.Dead() || tk.Err() != gevent.ErrGreenletExit {
				t.Errorf("%v: dead=%v err=%v", tk, tk.Dead(), tk.Err())
			}
		}
		if ran || deferred != 2 {
			t.Errorf("unstarted ran = %v, deferred = %d; want false, 2", ran, deferred)
		}
		return nil
	})
}

// KillAll with a ctx that is already done kills without waiting (gevent's
// killall(block=False)) and says that a task is still alive.
func TestKillAllCustomErrorNoWait(t *testing.T) {
	errX := errors.New("x")
	geventtest.Run(t, func(ctx context.Context) error {
		a := gevent.Spawn(ctx, sleeper)
		gevent.Yield(ctx)
		done, cancel := context.WithCancel(ctx)
		cancel()
		if err := gevent.KillAll(done, []gevent.Task{a}, gevent.KillError(errX)); !errors.Is(err, context.Canceled) {
			t.Errorf("KillAll with a done ctx = %v, want context.Canceled", err)
		}
		if a.Dead() {
			t.Error("KillAll with a done ctx waited")
		}
		a.Join(ctx)
		if a.Err() != errX {
			t.Errorf("Err() = %v, want %v", a.Err(), errX)
		}
		return nil
	}, quiet())
}

// test__greenletset test_killall_iterable_argument_timeout_started: unlike
// Kill, KillAll reports running out of time.
func TestKillAllTimeoutReturnsError(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		release := false
		stubborn := gevent.Go(ctx, func(ctx context.Context) error {
			for !release {
				gevent.Sleep(context.WithoutCancel(ctx), time.Millisecond)
			}
			return nil
		})
		gevent.Yield(ctx)
		tctx, cancel := gevent.WithTimeout(ctx, 3*time.Millisecond)
		err := gevent.KillAll(tctx, []gevent.Task{stubborn})
		cancel()
		if !errors.Is(err, context.Cause(tctx)) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("KillAll = %v, want the context's *Timeout", err)
		}
		if stubborn.Dead() {
			t.Error("stubborn greenlet died")
		}
		release = true
		return stubborn.Join(ctx)
	})
}

// gevent: Greenlet().join() on a greenlet that was never started raises
// LoopExit in main instead of hanging.
func TestLoopExitJoinNeverStarted(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.New(ctx, noop)
		if err := g.Join(ctx); !errors.Is(err, gevent.ErrLoopExit) {
			t.Errorf("Join = %v, want ErrLoopExit", err)
		}
		if _, err := g.Get(ctx); !errors.Is(err, gevent.ErrLoopExit) {
			t.Errorf("Get = %v, want ErrLoopExit", err)
		}
		if got, err := gevent.Wait(ctx, []gevent.Waitable{g}); !errors.Is(err, gevent.ErrLoopExit) || len(got) != 0 {
			t.Errorf("Wait = %v, %v; want ErrLoopExit", got, err)
		}
		n := 0
		for range gevent.Iwait(ctx, []gevent.Task{g}) {
			n++
		}
		if n != 0 {
			t.Errorf("Iwait yielded %d objects", n)
		}
		if _, err := gevent.JoinAll(ctx, []gevent.Task{g}, gevent.RaiseError()); !errors.Is(err, gevent.ErrLoopExit) {
			t.Errorf("JoinAll = %v, want ErrLoopExit", err)
		}
		if err := gevent.Idle(ctx); err != nil {
			t.Errorf("Idle = %v, want nil (an idle hub wakes idlers)", err)
		}
		// The hub survives: work still runs afterwards.
		v, err := gevent.Spawn(ctx, func(context.Context) (int, error) { return 2, nil }).Get(ctx)
		if v != 2 || err != nil {
			t.Errorf("after LoopExit: Get = %v, %v", v, err)
		}
		return nil
	})
}

func TestLoopExitWaitOnFlag(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		f := &flag{}
		if _, err := gevent.Wait(ctx, []gevent.Waitable{f}); !errors.Is(err, gevent.ErrLoopExit) {
			t.Errorf("Wait = %v, want ErrLoopExit", err)
		}
		if f.pending() != 0 {
			t.Errorf("pending callbacks = %d", f.pending())
		}
		return nil
	})
}

// A wait that a timer or a sleeping greenlet can still complete is not a
// deadlock.
func TestNoLoopExitWhileWorkRemains(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 1, gevent.Sleep(ctx, 2*time.Millisecond)
		})
		if v, err := g.Get(ctx); v != 1 || err != nil {
			t.Errorf("Get = %v, %v", v, err)
		}
		return nil
	})
}
