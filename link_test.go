package gevent_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
)

// reference §2.6: link, link_value, link_exception and rawlink share one
// list handled in registration order; a rawlink runs on the hub right there
// and a link runs in a new greenlet started right there, until it first
// switches (gevent's probe: rawlink1, link2, rawlink3), and one that blocks
// lets the next link run.
func TestLinkKindsShareOneList(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var log logger
		var link6Done event.Event
		g := gevent.Spawn(ctx, func(context.Context) (int, error) { return 1, nil })
		g.RawLink(func(*gevent.Greenlet[int]) { log.add("raw1") })
		g.Link(func(context.Context, *gevent.Greenlet[int]) { log.add("link2") })
		g.LinkValue(func(context.Context, *gevent.Greenlet[int]) { log.add("value3") })
		g.LinkException(func(context.Context, *gevent.Greenlet[int]) { log.add("exception4") })
		g.RawLink(func(*gevent.Greenlet[int]) { log.add("raw5") })
		g.Link(func(ctx context.Context, _ *gevent.Greenlet[int]) {
			log.add("link6 start")
			if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
				t.Errorf("Sleep in a link greenlet = %v", err)
			}
			log.add("link6 end")
			link6Done.Set()
		})
		g.Link(func(context.Context, *gevent.Greenlet[int]) { log.add("link7") })
		if err := g.Join(ctx); err != nil {
			return err
		}
		if err := link6Done.Wait(ctx); err != nil {
			return err
		}
		log.check(t, "raw1", "link2", "value3", "raw5", "link6 start", "link7", "link6 end")
		return nil
	})
}

// gevent's link: the callback runs in a greenlet of its own, so it may block
// (wait for another greenlet, sleep), which a RawLink callback may not. Its
// context is that new greenlet's: alive, not the ended greenlet's, and it
// carries the ended greenlet's context values.
func TestLinkCallbackMayBlock(t *testing.T) {
	type key struct{}
	geventtest.Run(t, func(ctx context.Context) error {
		other := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			return "other", gevent.Sleep(ctx, time.Millisecond)
		})
		g := gevent.Spawn(context.WithValue(ctx, key{}, "v"), noop)
		got := make(chan string, 1)
		g.Link(func(lctx context.Context, ended *gevent.Greenlet[struct{}]) {
			if lctx.Err() != nil {
				t.Errorf("link greenlet's context is cancelled: %v", lctx.Err())
			}
			if lctx.Value(key{}) != "v" {
				t.Errorf("link greenlet's context value = %v, want v", lctx.Value(key{}))
			}
			if ended != g || !ended.Dead() {
				t.Errorf("link got %v, want the ended greenlet", ended)
			}
			v, err := other.Get(lctx) // parks the link greenlet only
			if err != nil {
				t.Errorf("Get in a link greenlet = %v", err)
			}
			got <- v
		})
		if err := g.Join(ctx); err != nil {
			return err
		}
		if err := other.Join(ctx); err != nil {
			return err
		}
		if !yieldUntil(ctx, 20, func() bool { return len(got) == 1 }) {
			t.Fatal("the link greenlet did not finish")
		}
		if v := <-got; v != "other" {
			t.Errorf("link greenlet got %q, want other", v)
		}
		return nil
	})
}

// A Link added after the greenlet ended still runs (in a greenlet), once; a
// RawLink then may unlink a later Link, and a Link's unlink reports false
// once its greenlet was spawned.
func TestLinkAfterDeathAndUnlink(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.Spawn(ctx, func(context.Context) (int, error) { return 7, nil })
		if err := g.Join(ctx); err != nil {
			return err
		}
		var log logger
		var unlink3 func() bool
		g.RawLink(func(*gevent.Greenlet[int]) {
			log.add("raw1")
			if !unlink3() {
				t.Error("unlink of a pending Link returned false")
			}
		})
		unlink2 := g.Link(func(_ context.Context, g *gevent.Greenlet[int]) { log.add("link2 %d", g.Value()) })
		unlink3 = g.Link(func(context.Context, *gevent.Greenlet[int]) { log.add("link3") })
		if len(log.get()) != 0 {
			t.Error("a link of an ended greenlet ran inside Link")
		}
		if !yieldUntil(ctx, 20, func() bool { return len(log.get()) == 2 }) {
			t.Fatalf("links did not run: %q", log.get())
		}
		for range 3 {
			gevent.Yield(ctx)
		}
		log.check(t, "raw1", "link2 7")
		if unlink2() {
			t.Error("unlink of a Link whose greenlet was spawned returned true")
		}
		return nil
	})
}

// A panic in a Link greenlet is reported like any greenlet's failure (with a
// nil Task: link greenlets have no handle), and the other links still run.
func TestLinkPanicIsReported(t *testing.T) {
	var reports errorLog
	geventtest.Run(t, func(ctx context.Context) error {
		var log logger
		g := gevent.Spawn(ctx, noop)
		g.Link(func(context.Context, *gevent.Greenlet[struct{}]) { panic("link boom") })
		g.Link(func(context.Context, *gevent.Greenlet[struct{}]) { log.add("after") })
		if err := g.Join(ctx); err != nil {
			return err
		}
		if !yieldUntil(ctx, 20, func() bool { return len(log.get()) == 1 }) {
			t.Fatal("the second link did not run")
		}
		return nil
	}, reports.option())
	var pe *gevent.PanicError
	if reports.count() != 1 || !errors.As(reports.errs[0], &pe) || pe.Value != "link boom" || reports.tasks[0] != nil {
		t.Errorf("reports = %v (tasks %v), want one *PanicError with a nil task", reports.errs, reports.tasks)
	}
}

// LinkValue and LinkException filter on Successful: a kill with
// ErrGreenletExit is a success, KillError's error a failure.
func TestLinkValueAndLinkExceptionFilter(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var log logger
		for _, c := range []struct {
			name string
			opts []gevent.KillOption
		}{{"exit", nil}, {"custom", []gevent.KillOption{gevent.KillError(errors.New("x"))}}} {
			g := gevent.Spawn(ctx, sleeper)
			g.LinkValue(func(context.Context, *gevent.Greenlet[struct{}]) { log.add("%s value", c.name) })
			g.LinkException(func(context.Context, *gevent.Greenlet[struct{}]) { log.add("%s exception", c.name) })
			gevent.Yield(ctx)
			g.Kill(ctx, c.opts...)
			if !yieldUntil(ctx, 20, func() bool { return len(log.get()) > 0 && g.Dead() }) {
				t.Fatal("no link ran")
			}
			for range 3 {
				gevent.Yield(ctx)
			}
		}
		log.check(t, "exit value", "custom exception")
		return nil
	}, quiet())
}
