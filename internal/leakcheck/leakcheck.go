// Package leakcheck fails a test binary whose tests leave goroutines behind
// (a small stand-in for go.uber.org/goleak, so that the module needs nothing
// beyond the standard library).
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// VerifyTestMain runs the tests and then, if they passed, checks that every
// goroutine they started has ended, failing the binary otherwise. Use it as
// the body of TestMain.
func VerifyTestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := Find(10 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// Find waits up to timeout for goroutines other than the test runner's and
// the runtime's to end, and returns an error listing those that remain.
// Goroutines that are ending (a closed hub's coroutines, a stopped timer's
// callback) need a moment, so it polls with a growing back-off.
func Find(timeout time.Duration) error {
	if leaked := Settled(timeout); len(leaked) > 0 {
		return fmt.Errorf("leakcheck: %d goroutine(s) still running after the tests:\n\n%s",
			len(leaked), strings.Join(leaked, "\n\n"))
	}
	return nil
}

// Settled is Current once no goroutine is left, or once timeout has passed:
// it polls with a growing back-off, giving goroutines that are ending (a
// stall monitor between signalling its end and returning) that moment.
func Settled(timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	delay := time.Millisecond
	for {
		leaked := Current()
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(delay)
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// Current returns the stacks of the goroutines that are neither the caller,
// the test runner, nor the runtime's own.
func Current() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 || ignored(g) {
			continue // the first is the calling goroutine
		}
		out = append(out, g)
	}
	return out
}

var ignoredFuncs = []string{
	"testing.RunTests",
	"testing.(*M).",
	"testing.tRunner",
	"testing.runExample",
	"os/signal.signal_recv",
	"os/signal.loop",
	"runtime.goexit",
	"runtime.ensureSigM",
	"runtime.ReadTrace",
	"created by runtime.gc",
	"runtime.MHeap_Scavenger",
	"runtime/trace.Start",
	"testing.(*F).Fuzz",
}

func ignored(stack string) bool {
	lines := strings.SplitN(stack, "\n", 3)
	if len(lines) < 2 {
		return true
	}
	top := lines[1]
	for _, f := range ignoredFuncs {
		if strings.Contains(top, f) {
			return true
		}
	}
	// The test runner's own goroutine waiting for parallel subtests.
	return strings.Contains(stack, "testing.(*T).Run(") && strings.Contains(stack, "testing.tRunner")
}
