package sim

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
)

func TestSleepIsExactVirtualTime(t *testing.T) {
	var at []time.Duration
	r, err := Run(t.Context(), Options{}, func(ctx context.Context) error {
		for _, d := range []time.Duration{time.Second, 3 * time.Millisecond, time.Hour} {
			if err := gevent.Sleep(ctx, d); err != nil {
				return err
			}
			at = append(at, Elapsed(ctx))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{time.Second, time.Second + 3*time.Millisecond, time.Hour + time.Second + 3*time.Millisecond}
	for i := range want {
		if at[i] != want[i] {
			t.Fatalf("elapsed after sleep %d = %v, want %v", i, at[i], want[i])
		}
	}
	if r.Elapsed != want[2] {
		t.Fatalf("Result.Elapsed = %v, want %v", r.Elapsed, want[2])
	}
}

func TestHourOfTimeouts(t *testing.T) {
	start := time.Now()
	r, err := Run(t.Context(), Options{}, func(ctx context.Context) error {
		var ev event.Event
		for i := 0; i < 3600; i++ {
			tctx, cancel := gevent.WithTimeout(ctx, time.Second)
			err := ev.Wait(tctx)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
		}
		if got := gevent.Now(ctx); !got.Equal(defaultEpoch.Add(time.Hour)) {
			t.Errorf("gevent.Now = %v, want epoch + 1h", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Elapsed != time.Hour {
		t.Fatalf("elapsed %v, want exactly 1h", r.Elapsed)
	}
	t.Logf("an hour of timeouts: %v wall, %d steps", time.Since(start), r.Steps)
}

// fakeT records what Test reports instead of failing the real test.
type fakeT struct {
	*testing.T
	logs  []string
	fatal string
}

func (f *fakeT) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}
func (f *fakeT) Fatalf(format string, args ...any) {
	if f.fatal == "" {
		f.fatal = fmt.Sprintf(format, args...)
	}
}

func noEnv(string) string { return "" }

// lostUpdate fails when the reference program's counter shows a lost update
// that FIFO never produces.
func lostUpdate(ctx context.Context) error {
	var c int
	if err := refProgram(&c)(ctx); err != nil {
		return err
	}
	if c != 8 {
		return fmt.Errorf("lost update: counter = %d", c)
	}
	return nil
}

func TestReplayFailure(t *testing.T) {
	// FIFO never finds the bug.
	f := &fakeT{T: t}
	runTest(f, lostUpdate, noEnv, []TestOption{Seeds(50)})
	if f.fatal != "" {
		t.Fatalf("FIFO found a lost update: %s", f.fatal)
	}
	f = &fakeT{T: t}
	runTest(f, lostUpdate, noEnv, []TestOption{Seeds(100), With(Options{Schedule: PerSource})})
	m := regexp.MustCompile(`^seed (\d+): lost update: counter = \d+ \(replay: GEVENT_SIM_SEED=(\d+)\)$`).FindStringSubmatch(f.fatal)
	if m == nil || m[1] != m[2] {
		t.Fatalf("failure %q: want seed N: <error> (replay: GEVENT_SIM_SEED=N)", f.fatal)
	}
	first := f.logs[len(f.logs)-1]
	// The replay line alone reproduces the error and the hash.
	g := &fakeT{T: t}
	runTest(g, lostUpdate, func(k string) string {
		if k == "GEVENT_SIM_SEED" {
			return m[1]
		}
		return ""
	}, []TestOption{Seeds(100), With(Options{Schedule: PerSource})})
	if g.fatal != f.fatal {
		t.Fatalf("replay failed with %q, want %q", g.fatal, f.fatal)
	}
	noWall := func(s string) string { s, _, _ = strings.Cut(s, " virtual, "); return s }
	if len(g.logs) != 1 || noWall(g.logs[0]) != noWall(first) {
		t.Fatalf("replay logged %q, want the same run %q", g.logs, first)
	}
	if !strings.Contains(first, "seed "+m[1]+" (PerSource): hash ") {
		t.Fatalf("result line %q names no hash", first)
	}
}

func TestCheckFindsNondeterminism(t *testing.T) {
	body := func(ctx context.Context) error {
		for i := 0; i < 64; i++ {
			if time.Now().UnixNano()&1 == 1 { // outside the seed
				if err := gevent.Yield(ctx); err != nil {
					return err
				}
			}
			Record(ctx, i)
		}
		return nil
	}
	f := &fakeT{T: t}
	runTest(f, body, noEnv, []TestOption{Seeds(3), Check()})
	if !regexp.MustCompile(`^seed 1: diverged at step \d+: first run .+, second run .+ \(replay: GEVENT_SIM_SEED=1\)$`).MatchString(f.fatal) {
		t.Fatalf("failure %q: want a divergence naming both steps", f.fatal)
	}
	// The environment switch turns the check on too; a deterministic body
	// passes it.
	f = &fakeT{T: t}
	runTest(f, lostUpdate, func(k string) string {
		if k == "GEVENT_SIM_CHECK" {
			return "1"
		}
		return ""
	}, []TestOption{Seeds(20)})
	if f.fatal != "" {
		t.Fatal(f.fatal)
	}
	f = &fakeT{T: t}
	runTest(f, body, func(k string) string {
		return map[string]string{"GEVENT_SIM_CHECK": "1", "GEVENT_SIM_SEEDS": "2"}[k]
	}, nil)
	if !strings.Contains(f.fatal, "diverged") {
		t.Fatalf("GEVENT_SIM_CHECK=1: %q, want a divergence", f.fatal)
	}
}

// TestLoopExitClosedWorld: a simulated main that waits for ever gets
// ErrLoopExit while another hub serves and a plain goroutine waits in the
// library, either of which keeps a real hub waiting.
func TestLoopExitClosedWorld(t *testing.T) {
	var hold, gate event.Event
	served, waiting := make(chan struct{}), make(chan struct{})
	other := make(chan error, 1)
	go func() {
		other <- gevent.Run(context.Background(), func(ctx context.Context) error {
			release := gevent.Hold(ctx) // the test goroutine sets hold
			defer release()
			close(served)
			return hold.Wait(ctx)
		})
	}()
	goroutine := make(chan error, 1)
	go func() {
		close(waiting)
		goroutine <- gate.Wait(context.Background())
	}()
	<-served
	<-waiting
	for seed := uint64(1); seed <= 5; seed++ {
		var never event.Event
		_, err := Run(t.Context(), Options{Seed: seed}, func(ctx context.Context) error {
			return never.Wait(ctx)
		})
		if !errors.Is(err, gevent.ErrLoopExit) {
			t.Fatalf("seed %d: %v, want ErrLoopExit", seed, err)
		}
	}
	hold.Set()
	gate.Set()
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	if err := <-goroutine; err != nil {
		t.Fatal(err)
	}
}

type ctxKey struct{}

// TestValueWrapperVirtualTime: a wait with a value-only wrapper of the
// greenlet's context registers on the greenlet (no hold that would stop
// virtual time; the design's prototype hung here).
func TestValueWrapperVirtualTime(t *testing.T) {
	_, err := Run(t.Context(), Options{}, func(ctx context.Context) error {
		vctx := context.WithValue(ctx, ctxKey{}, 1)
		if err := gevent.Sleep(vctx, 300*time.Millisecond); err != nil {
			return err
		}
		if e := Elapsed(ctx); e != 300*time.Millisecond {
			return fmt.Errorf("elapsed %v, want 300ms", e)
		}
		// Killing the greenlet still ends such a wait.
		child := gevent.Go(ctx, func(ctx context.Context) error {
			var never event.Event
			return never.Wait(context.WithValue(ctx, ctxKey{}, 2))
		})
		if err := gevent.Sleep(ctx, time.Second); err != nil {
			return err
		}
		child.Kill(ctx)
		if err := child.Err(); !errors.Is(err, gevent.ErrGreenletExit) {
			return fmt.Errorf("killed child: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestValueWrapperRealHub: on a real hub the see-through registration is
// the production path too: a kill ends the wait at once.
func TestValueWrapperRealHub(t *testing.T) {
	err := gevent.Run(t.Context(), func(ctx context.Context) error {
		child := gevent.Go(ctx, func(ctx context.Context) error {
			var never event.Event
			return never.Wait(context.WithValue(ctx, ctxKey{}, 2))
		})
		if err := gevent.Yield(ctx); err != nil {
			return err
		}
		child.Kill(ctx)
		if err := child.Err(); !errors.Is(err, gevent.ErrGreenletExit) {
			return fmt.Errorf("killed child: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStdContexts(t *testing.T) {
	_, err := Run(t.Context(), Options{}, func(ctx context.Context) error {
		cctx, cancel := context.WithCancel(ctx) // admitted: virtual time moves
		defer cancel()
		if err := gevent.Sleep(cctx, time.Second); err != nil {
			return err
		}
		if e := Elapsed(ctx); e != time.Second {
			return fmt.Errorf("elapsed %v, want 1s", e)
		}
		dctx, dcancel := context.WithTimeout(ctx, time.Minute)
		defer dcancel()
		return gevent.Sleep(dctx, time.Second)
	})
	if err == nil || !strings.HasPrefix(err.Error(), "gevent: std-library deadline in a simulation") {
		t.Fatalf("std deadline: %v, want the refusal", err)
	}
}

func TestBlockingInline(t *testing.T) {
	_, err := Run(t.Context(), Options{BlockingCost: 10 * time.Millisecond}, func(ctx context.Context) error {
		v, err := gevent.Blocking(ctx, func(bctx context.Context) (int, error) {
			if gevent.Current(bctx) != nil {
				return 0, errors.New("fn's context carries a greenlet")
			}
			if e := Elapsed(ctx); e != 0 {
				return 0, fmt.Errorf("elapsed %v inside fn, want 0", e)
			}
			return 42, nil
		})
		if err != nil || v != 42 {
			return fmt.Errorf("Blocking = %v, %v", v, err)
		}
		if e := Elapsed(ctx); e != 10*time.Millisecond {
			return fmt.Errorf("elapsed %v after Blocking, want BlockingCost", e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLibraryCancelIsAStep: gevent.WithCancel's cancellation reaches a
// waiting greenlet as a step of the run: every seed, run twice, agrees.
func TestLibraryCancelIsAStep(t *testing.T) {
	body := func(ctx context.Context) error {
		cctx, cancel := gevent.WithCancel(ctx)
		var never event.Event
		w := gevent.Spawn(ctx, func(context.Context) (error, error) {
			return never.Wait(cctx), nil
		})
		if err := gevent.Sleep(ctx, time.Second); err != nil {
			return err
		}
		cancel()
		got, err := w.Get(ctx)
		if err != nil {
			return err
		}
		if !errors.Is(got, context.Canceled) || Elapsed(ctx) != time.Second {
			return fmt.Errorf("wait ended with %v at %v", got, Elapsed(ctx))
		}
		return nil
	}
	f := &fakeT{T: t}
	runTest(f, body, noEnv, []TestOption{Seeds(20), Check(), With(Options{Schedule: Shuffle})})
	if f.fatal != "" {
		t.Fatal(f.fatal)
	}
}
