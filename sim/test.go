package sim

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestOption configures Test.
type TestOption func(*testConfig)

type testConfig struct {
	seeds []uint64
	n     int
	check bool
	base  Options
}

// Seeds runs seeds 1 to n (default 100; GEVENT_SIM_SEEDS overrides it).
func Seeds(n int) TestOption {
	if n <= 0 {
		panic("gevent/sim: Seeds: n must be positive")
	}
	return func(c *testConfig) { c.n = n }
}

// SeedList runs exactly the given seeds (at least one: a Test of no seed
// would pass without running its body).
func SeedList(seeds ...uint64) TestOption {
	if len(seeds) == 0 {
		panic("gevent/sim: SeedList: no seeds")
	}
	return func(c *testConfig) { c.seeds = append([]uint64(nil), seeds...) }
}

// Check runs each seed twice and fails at the first step where the two runs
// differ, naming both steps (madsim's determinism check): something outside
// the seed (time.Now, a goroutine, map order) steers the code under test.
// GEVENT_SIM_CHECK=1 turns it on for every Test.
func Check() TestOption { return func(c *testConfig) { c.check = true } }

// With sets the base options of every run (Seed is set per run).
func With(o Options) TestOption { return func(c *testConfig) { c.base = o } }

// Test runs body once per seed as a simulation (Run) and fails t at the
// first failing seed with
//
//	seed N: <error> (replay: GEVENT_SIM_SEED=N)
//
// Rerunning the test with that variable runs that seed alone: the same
// error, and the same hash (logged with -v). Seeds are 1 to n: n from
// GEVENT_SIM_SEEDS, else the Seeds option, else 100; GEVENT_SIM_SEED=N
// replaces the list with N. A run is bounded in real time by the test's
// deadline (less 5 s), so a run that hangs fails instead.
func Test(t *testing.T, body func(ctx context.Context) error, opts ...TestOption) {
	t.Helper()
	runTest(t, body, os.Getenv, opts)
}

// tb is the part of testing.TB Test uses (its own tests fake it).
type tb interface {
	Helper()
	Context() context.Context
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
}

func runTest(t tb, body func(ctx context.Context) error, getenv func(string) string, opts []TestOption) {
	t.Helper()
	if body == nil {
		panic("gevent/sim: Test: nil body")
	}
	c := testConfig{n: 100}
	for _, o := range opts {
		o(&c)
	}
	if v := getenv("GEVENT_SIM_SEEDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			panic("gevent/sim: GEVENT_SIM_SEEDS=" + v + ": want a positive number")
		}
		c.n, c.seeds = n, nil
	}
	if v := getenv("GEVENT_SIM_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			panic("gevent/sim: GEVENT_SIM_SEED=" + v + ": want a number")
		}
		c.seeds = []uint64{n}
	}
	if getenv("GEVENT_SIM_CHECK") == "1" {
		c.check = true
	}
	if c.seeds == nil {
		for i := 1; i <= c.n; i++ {
			c.seeds = append(c.seeds, uint64(i))
		}
	}
	ctx := t.Context()
	if d, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-5*time.Second))
		defer cancel()
	} else if dt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := dt.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, d.Add(-5*time.Second))
			defer cancel()
		}
	}
	for _, seed := range c.seeds {
		o := c.base
		o.Seed = seed
		if msg := runSeed(ctx, o, body, c.check, len(c.seeds) == 1, t); msg != "" {
			t.Fatalf("seed %d: %s (replay: GEVENT_SIM_SEED=%d)", seed, msg, seed)
			return
		}
	}
}

// runSeed runs one seed (twice with check) and returns the failure, or "".
func runSeed(ctx context.Context, o Options, body func(context.Context) error, check, logHash bool, t tb) string {
	if !check {
		r, err := Run(ctx, o, body)
		if err != nil || logHash {
			t.Logf("%v", r)
		}
		if err != nil {
			return err.Error()
		}
		return ""
	}
	user := o.Trace
	var first []Step
	o.Trace = func(s Step) {
		first = append(first, s)
		if user != nil {
			user(s)
		}
	}
	r1, err1 := Run(ctx, o, body)
	var div string
	o.Trace = func(s Step) {
		if div == "" {
			i := int(s.N) - 1
			switch {
			case i >= len(first):
				div = fmt.Sprintf("diverged at step %d: first run ended after %d steps, second run %v", s.N, len(first), s)
			case first[i] != s:
				div = fmt.Sprintf("diverged at step %d: first run %v, second run %v", s.N, first[i], s)
			}
		}
		if user != nil {
			user(s)
		}
	}
	r2, err2 := Run(ctx, o, body)
	if div == "" && r2.Steps < r1.Steps {
		div = fmt.Sprintf("diverged at step %d: first run %v, second run ended after %d steps", r2.Steps+1, first[r2.Steps], r2.Steps)
	}
	if div == "" && errString(err1) != errString(err2) {
		div = fmt.Sprintf("diverged in the result: first run %q, second run %q", errString(err1), errString(err2))
	}
	if err1 != nil || div != "" || logHash {
		t.Logf("%v", r1)
	}
	if div != "" {
		return div
	}
	if err1 != nil {
		return err1.Error()
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
