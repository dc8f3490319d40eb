package gevent_test

import (
	"bytes"
	"context"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
)

// goroutineLabels returns the pprof labels of the calling goroutine as the
// goroutine profile prints them ("" for none): the labels CPU profile
// samples of this goroutine carry.
//
//go:noinline
func goroutineLabels(t *testing.T) string {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		t.Fatal(err)
	}
	// Records are separated by blank lines: "N @ pcs", "# labels: {...}"
	// when there are labels, then one "#\tpc\tfunction" line per frame.
	for _, rec := range strings.Split(buf.String(), "\n\n") {
		if !strings.Contains(rec, "gevent_test.goroutineLabels+") {
			continue
		}
		for _, line := range strings.Split(rec, "\n") {
			if l, ok := strings.CutPrefix(line, "# labels: "); ok {
				return l
			}
		}
		return ""
	}
	t.Fatal("the calling goroutine is not in the goroutine profile")
	return ""
}

// TestProfileLabels: a greenlet spawned inside pprof.Do runs with its
// labels, and so do the greenlets it spawns; one spawned without runs with
// none, on the same (reused) coroutine; pprof.Do inside a greenlet restores
// the greenlet's labels.
func TestProfileLabels(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		labelsOf := func(ctx context.Context) string {
			var got string
			if err := gevent.Go(ctx, func(context.Context) error {
				got = goroutineLabels(t)
				return nil
			}).Join(ctx); err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := labelsOf(ctx); got != "" {
			t.Errorf("greenlet spawned without labels runs with %s", got)
		}
		pprof.Do(ctx, pprof.Labels("req", "1"), func(lctx context.Context) {
			if got := labelsOf(lctx); got != `{"req":"1"}` {
				t.Errorf("greenlet spawned in pprof.Do runs with labels %q", got)
			}
			var inner, restored string
			if err := gevent.Go(lctx, func(gctx context.Context) error {
				inner = labelsOf(gctx) // a grandchild, from the child's own context
				pprof.Do(gctx, pprof.Labels("step", "2"), func(context.Context) {})
				restored = goroutineLabels(t)
				return nil
			}).Join(lctx); err != nil {
				t.Fatal(err)
			}
			if inner != `{"req":"1"}` || restored != `{"req":"1"}` {
				t.Errorf("grandchild labels %q, after pprof.Do in the child %q", inner, restored)
			}
		})
		// Another set of labels, on the coroutines the first set used.
		pprof.Do(ctx, pprof.Labels("req", "2"), func(lctx context.Context) {
			if got := labelsOf(lctx); got != `{"req":"2"}` {
				t.Errorf("greenlet spawned in a second pprof.Do runs with labels %q", got)
			}
		})
		// The coroutines that ran labelled greenlets are reused now.
		for range 3 {
			if got := labelsOf(ctx); got != "" {
				t.Errorf("greenlet spawned without labels after labelled ones runs with %s", got)
			}
		}
		return nil
	})
}

// TestTraceAnnotations: under runtime/trace, the trace has a
// gevent.greenlet task per greenlet, regions named after them, and a
// gevent.wait log per park naming the primitive. (The standard library has
// no trace parser: the test finds the strings the annotations put in the
// trace; core's TestTraceTasks checks the parent links.)
func TestTraceAnnotations(t *testing.T) {
	if trace.IsEnabled() {
		t.Skip("a trace is already running (go test -trace)")
	}
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	geventtest.Run(t, func(ctx context.Context) error {
		var ev event.Event
		g := gevent.Go(ctx, func(ctx context.Context) error {
			if err := ev.Wait(ctx); err != nil {
				return err
			}
			return gevent.Sleep(ctx, time.Millisecond)
		}, gevent.WithName("traced-child"))
		if err := gevent.Yield(ctx); err != nil {
			return err
		}
		ev.Set()
		return g.Join(ctx)
	})
	trace.Stop()
	out := buf.String()
	for _, want := range []string{"gevent.greenlet", "gevent.wait", "traced-child", "sleep", "event event.", "yield"} {
		if !strings.Contains(out, want) {
			t.Errorf("the trace lacks %q", want)
		}
	}
}
