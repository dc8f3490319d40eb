package geventtest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
)

func TestMain(m *testing.M) { geventtest.VerifyTestMain(m) }

// fakeT records Fatalf instead of ending the goroutine, so that Run's failure
// path can be observed.
type fakeT struct {
	testing.TB
	failed string

	mu     sync.Mutex // guards errors and logs (the stall monitor's goroutine writes them)
	errors []string
	logs   []string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
}
func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}
func (f *fakeT) Logf(format string, args ...any) {
	f.mu.Lock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

func (f *fakeT) reported() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.errors) > 0
}

// spin holds the hub for d without a switch point.
//
//go:noinline
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// TestRunFailsOnStall: Run's stall monitor fails the test with the holder's
// name and stack when a greenlet holds the hub past StallThreshold, and logs
// the end of the hold; a WithStallMonitor option replaces it.
func TestRunFailsOnStall(t *testing.T) {
	ft := &fakeT{TB: t}
	geventtest.Run(ft, func(ctx context.Context) error {
		g := gevent.Go(ctx, func(context.Context) error {
			// Past the threshold, and on until reported (a loaded machine
			// may run the monitor late).
			spin(geventtest.StallThreshold + 100*time.Millisecond)
			for start := time.Now(); !ft.reported() && time.Since(start) < 10*time.Second; {
				spin(time.Millisecond)
			}
			return nil
		}, gevent.WithName("spinner"))
		return g.Join(ctx)
	})
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if len(ft.errors) != 1 || !strings.Contains(ft.errors[0], `"spinner"`) || !strings.Contains(ft.errors[0], "geventtest_test.spin(") {
		t.Fatalf("failures: %q", ft.errors)
	}
	if len(ft.logs) != 1 || !strings.Contains(ft.logs[0], "held the hub for") {
		t.Fatalf("logs: %q", ft.logs)
	}

	ft = &fakeT{TB: t}
	geventtest.Run(ft, func(ctx context.Context) error {
		spin(geventtest.StallThreshold + 300*time.Millisecond)
		return nil
	}, gevent.WithStallMonitor(0))
	if len(ft.errors) != 0 {
		t.Fatalf("monitor turned off, failures: %q", ft.errors)
	}
}

func TestRunReportsBodyError(t *testing.T) {
	ft := &fakeT{TB: t}
	geventtest.Run(ft, func(ctx context.Context) error { return errors.New("boom") })
	if ft.failed != "geventtest.Run: boom" {
		t.Errorf("failure = %q, want %q", ft.failed, "geventtest.Run: boom")
	}
}

func TestRunKillsLeftoverGreenlets(t *testing.T) {
	var g *gevent.Greenlet[int]
	geventtest.Run(t, func(ctx context.Context) error {
		g = gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 0, gevent.Sleep(ctx, time.Hour)
		})
		return gevent.Yield(ctx)
	})
	if !g.Dead() || !errors.Is(g.Err(), gevent.ErrGreenletExit) {
		t.Errorf("left-over greenlet: dead=%v err=%v, want dead with ErrGreenletExit", g.Dead(), g.Err())
	}
	if leaked := geventtest.Leaked(); len(leaked) != 0 {
		t.Errorf("goroutines left after Run: %v", leaked)
	}
}

func TestLeakedSeesAGoroutine(t *testing.T) {
	stop := make(chan struct{})
	started := make(chan struct{})
	go func() { close(started); <-stop }()
	<-started
	if len(geventtest.Leaked()) == 0 {
		t.Error("Leaked() is empty while a goroutine is blocked")
	}
	close(stop)
}

// In a test, pass the test's *testing.T; the example uses a stand-in.
func ExampleRun() {
	var t testing.TB = exampleT{}
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.Spawn(ctx, func(context.Context) (string, error) { return "hello", nil })
		v, err := g.Get(ctx)
		fmt.Println(v, err)
		return err
	})
	// Output: hello <nil>
}

// exampleT stands in for the *testing.T of a test.
type exampleT struct{ testing.TB }

func (exampleT) Helper()                  {}
func (exampleT) Context() context.Context { return context.Background() }
func (exampleT) Fatalf(string, ...any)    {}
