package sim_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/sim"
)

// simPanics calls f and checks it panics with a "gevent/sim:" message
// mentioning want.
func simPanics(t *testing.T, name string, f func(), want string) {
	t.Helper()
	var msg string
	func() {
		defer func() {
			if r := recover(); r != nil {
				msg = fmt.Sprint(r)
			}
		}()
		f()
	}()
	if !strings.HasPrefix(msg, "gevent/sim:") || !strings.Contains(msg, want) {
		t.Errorf("%s: panic %q, want a \"gevent/sim:\" message mentioning %q", name, msg, want)
	}
}

// runSim runs main under a real-time bound: a run that hangs fails.
func runSim(t *testing.T, o sim.Options, main func(ctx context.Context) error) (sim.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeoutCause(t.Context(), 20*time.Second, errors.New("hostile probe hung"))
	defer cancel()
	return sim.Run(ctx, o, main)
}

func nop(context.Context) error { return nil }

func TestHostileRunOptions(t *testing.T) {
	simPanics(t, "unknown Schedule", func() { _, _ = sim.Run(context.Background(), sim.Options{Schedule: 200}, nop) }, "unknown")
	simPanics(t, "negative StepCost", func() {
		_, _ = sim.Run(context.Background(), sim.Options{StepCost: -time.Hour, StepJitter: time.Nanosecond}, nop)
	}, "StepCost")
	simPanics(t, "negative StepJitter", func() {
		_, _ = sim.Run(context.Background(), sim.Options{StepJitter: -time.Second}, nop)
	}, "StepJitter")
	simPanics(t, "nil main", func() { _, _ = sim.Run(context.Background(), sim.Options{}, nil) }, "nil main")

	// MaxSteps 1: the run ends with ErrStepLimit, it does not hang.
	_, err := runSim(t, sim.Options{MaxSteps: 1}, func(ctx context.Context) error {
		for {
			if err := gevent.Sleep(ctx, time.Second); err != nil {
				return err
			}
		}
	})
	if !errors.Is(err, sim.ErrStepLimit) {
		t.Errorf("MaxSteps 1: err = %v, want ErrStepLimit", err)
	}
	// Negative MaxTime: no limit, yet a run with no timer left ends.
	_, err = runSim(t, sim.Options{MaxTime: -1}, func(ctx context.Context) error {
		return gevent.Sleep(ctx, 1000*time.Hour)
	})
	if err != nil {
		t.Errorf("MaxTime -1, Sleep 1000h: %v", err)
	}
	// A huge epoch: Now is the epoch plus the virtual time elapsed.
	epoch := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	_, err = runSim(t, sim.Options{Epoch: epoch}, func(ctx context.Context) error {
		if err := gevent.Sleep(ctx, time.Hour); err != nil {
			return err
		}
		if got := gevent.Now(ctx); !got.Equal(epoch.Add(time.Hour)) {
			return fmt.Errorf("Now = %v, want %v", got, epoch.Add(time.Hour))
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// Buggify with p outside [0, 1] or NaN: never for p ≤ 0 or NaN, always for
// p ≥ 1; outside a simulation always false; Rand and Record work outside.
func TestHostileBuggify(t *testing.T) {
	ctx := context.Background()
	for _, p := range []float64{-1, 0.5, 2, math.NaN(), math.Inf(1)} {
		if sim.Buggify(ctx, p) {
			t.Errorf("Buggify(outside, %v) = true", p)
		}
	}
	sim.Record(ctx, "outside")
	if sim.Rand(ctx) == nil {
		t.Error("Rand outside = nil")
	}
	var nilCtx context.Context // (a variable: staticcheck refuses a literal nil)
	simPanics(t, "Buggify(nil)", func() { sim.Buggify(nilCtx, 1) }, "nil ctx")
	_, err := runSim(t, sim.Options{}, func(ctx context.Context) error {
		for range 100 {
			if sim.Buggify(ctx, -1) || sim.Buggify(ctx, math.NaN()) {
				return errors.New("Buggify(p<0 or NaN) = true")
			}
			if !sim.Buggify(ctx, 2) || !sim.Buggify(ctx, math.Inf(1)) {
				return errors.New("Buggify(p>1) = false")
			}
		}
		sim.Record(ctx)
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

func TestHostileHosts(t *testing.T) {
	n := sim.NewNet(sim.NetOptions{Latency: -1, Loss: 2, MSS: -5, Window: -1})
	simPanics(t, "Host(\"\")", func() { n.Host("") }, "empty")
	if x1, x2 := n.Host("x"), n.Host("x"); x1 != x2 {
		t.Error("Host(name) twice made two hosts")
	}
	_, err := runSim(t, sim.Options{}, func(ctx context.Context) error {
		a, b := n.Host("a"), n.Host("b")
		l, err := b.Listen(ctx, "tcp", ":80")
		if err != nil {
			return err
		}
		defer l.Close()
		acc := gevent.Spawn(ctx, func(ctx context.Context) (net.Conn, error) { return l.Accept() })
		// Loss 2 on a stream: segments are retransmitted, never lost.
		c, err := a.Dial(ctx, "tcp", "b:80")
		if err != nil {
			return fmt.Errorf("Dial over a lossy link: %w", err)
		}
		s, err := acc.Get(ctx)
		if err != nil {
			return err
		}
		if _, err := c.Write([]byte("hi")); err != nil {
			return err
		}
		buf := make([]byte, 8)
		if k, err := s.Read(buf); err != nil || string(buf[:k]) != "hi" {
			return fmt.Errorf("Read = %q, %v", buf[:k], err)
		}
		b.Crash()
		b.Crash() // twice: harmless
		if !b.Down() {
			return errors.New("crashed host not down")
		}
		if _, err := c.Read(buf); err == nil {
			return errors.New("Read after the peer crashed: nil error")
		}
		b.Restart(ctx)
		b.Restart(ctx) // a live host: crashed and restarted again
		if b.Down() {
			return errors.New("restarted host down")
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// Conn misuse: zero-length Write, Read/Write after Close, a deadline in the
// past, a huge Write with a small window whose writer is killed.
func TestHostileConn(t *testing.T) {
	_, err := runSim(t, sim.Options{}, func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{Window: 16, MSS: 4})
		a, b := n.Host("a"), n.Host("b")
		c, s := pair(ctx, t, a, b)
		if k, err := c.Write(nil); k != 0 || err != nil {
			return fmt.Errorf("Write(nil) = %d, %v", k, err)
		}
		if err := s.SetReadDeadline(gevent.Now(ctx).Add(-time.Hour)); err != nil {
			return err
		}
		if _, err := s.Read(make([]byte, 4)); !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("Read past deadline = %v", err)
		}
		s.SetReadDeadline(time.Time{})
		// A huge write into a window of 16 with nobody reading: kill it.
		var k int // (Get gives no value with an error)
		w := gevent.Go(ctx, func(ctx context.Context) error {
			var err error
			k, err = c.Write(make([]byte, 1<<20))
			return err
		})
		if err := gevent.Sleep(ctx, time.Second); err != nil {
			return err
		}
		w.Kill(ctx)
		if err := w.Join(ctx); err != nil {
			return err
		}
		if werr := w.Err(); !errors.Is(werr, gevent.ErrGreenletExit) || k == 0 || k >= 1<<20 {
			return fmt.Errorf("killed Write = %d, %v; want part of the bytes and the kill", k, werr)
		}
		// What went out is delivered: the reader gets exactly k bytes.
		got := 0
		buf := make([]byte, 64)
		for got < k {
			m, err := s.Read(buf)
			if err != nil {
				return fmt.Errorf("after %d of %d: %w", got, k, err)
			}
			got += m
		}
		c.Close()
		c.Close()
		if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Write after Close = %v", err)
		}
		if _, err := c.Read(buf); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Read after Close = %v", err)
		}
		s.Close()
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

func TestHostileSeedEnv(t *testing.T) {
	t.Setenv("GEVENT_SIM_SEED", "garbage")
	simPanics(t, "GEVENT_SIM_SEED=garbage", func() { sim.Test(t, nop) }, "GEVENT_SIM_SEED")
	t.Setenv("GEVENT_SIM_SEED", "")
	t.Setenv("GEVENT_SIM_SEEDS", "-3")
	simPanics(t, "GEVENT_SIM_SEEDS=-3", func() { sim.Test(t, nop) }, "GEVENT_SIM_SEEDS")
}

// Test's options refuse what would run no seed (a test that cannot fail).
func TestHostileTestOptions(t *testing.T) {
	simPanics(t, "SeedList()", func() { sim.SeedList() }, "no seeds")
	simPanics(t, "Seeds(0)", func() { sim.Seeds(0) }, "Seeds")
	simPanics(t, "Seeds(-1)", func() { sim.Seeds(-1) }, "Seeds")
	simPanics(t, "Test(nil body)", func() { sim.Test(t, nil) }, "nil body")
}
