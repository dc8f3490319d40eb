package geventtest_test

import (
	"context"
	"errors"
	"fmt"
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
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
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
