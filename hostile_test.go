package gevent_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
)

// guard fails the test (from another goroutine) when the probe has not
// returned within d: a hang fails instead of hanging.
func guard(t *testing.T, d time.Duration) (done func()) {
	t.Helper()
	tm := time.AfterFunc(d, func() { t.Errorf("probe still running after %v: hang", d) })
	return func() { tm.Stop() }
}

func TestHostileNewHubGroupHuge(t *testing.T) {
	mustPanic(t, "NewHubGroup(1<<40)", func() { gevent.NewHubGroup(1 << 40) }, "NewHubGroup")
	mustPanic(t, "RunGroup(1<<40)", func() {
		_ = gevent.RunGroup(context.Background(), 1<<40, func(context.Context) error { return nil })
	}, "RunGroup")
}

func TestHostileGroupMisuse(t *testing.T) {
	mustPanic(t, "Spread(no hub)", func() { gevent.Spread(context.Background()) }, "Spread")
	mustPanic(t, "HubIndex(nil)", func() { gevent.HubIndex(nil) }, "HubIndex")
	mustPanic(t, "Now(nil)", func() { gevent.Now(nil) }, "Now")
	mustPanic(t, "WithCancel(nil)", func() { gevent.WithCancel(nil) }, "WithCancel")
	mustPanic(t, "WithCancelCause(nil)", func() { gevent.WithCancelCause(nil) }, "WithCancelCause")
	mustPanic(t, "RunGroup(nil main)", func() { _ = gevent.RunGroup(context.Background(), 2, nil) }, "RunGroup")
	mustPanic(t, "MonitorTick(0)", func() { gevent.MonitorTick(0) }, "MonitorTick")
	mustPanic(t, "MonitorTick(-1)", func() { gevent.MonitorTick(-1) }, "MonitorTick")
	mustPanic(t, "MonitorReport(nil)", func() { gevent.MonitorReport(nil) }, "MonitorReport")
	if i := gevent.HubIndex(context.Background()); i != -1 {
		t.Errorf("HubIndex(Background) = %d, want -1", i)
	}
	g := gevent.NewHubGroup(2)
	mustPanic(t, "Hub(-1)", func() { g.Hub(-1) }, "out of range")
	mustPanic(t, "Hub(Len)", func() { g.Hub(2) }, "out of range")
}

// A group stopped before Serve serves nothing and returns; served twice, it
// panics; and a spawn onto the closed group ends, it does not hang.
func TestHostileGroupStopServeTwice(t *testing.T) {
	defer guard(t, 20*time.Second)()
	g := gevent.NewHubGroup(3)
	g.Stop()
	if err := g.Serve(context.Background()); err != nil {
		t.Fatalf("Serve after Stop = %v, want nil", err)
	}
	g.Stop() // twice: harmless
	mustPanic(t, "Serve twice", func() { _ = g.Serve(context.Background()) }, "twice")
	gl := gevent.Go(g.Context(), func(context.Context) error { return nil })
	_, err := gl.Get(context.Background())
	if err == nil {
		t.Errorf("a greenlet spawned on a closed group reported success without running")
	}
}

// Cancelling the ctx of Serve stops every hub; Serve returns the cause.
func TestHostileGroupServeCancel(t *testing.T) {
	defer guard(t, 20*time.Second)()
	g := gevent.NewHubGroup(3)
	ctx, cancel := context.WithCancelCause(context.Background())
	boom := errors.New("boom")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		gevent.Go(g.Context(), func(ctx context.Context) error {
			wg.Done()
			return gevent.Sleep(ctx, time.Hour)
		})
	}
	go func() { wg.Wait(); cancel(boom) }()
	if err := g.Serve(ctx); !errors.Is(err, boom) {
		t.Fatalf("Serve = %v, want %v", err, boom)
	}
}

func TestHostileGroupServeFromGreenlet(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		g := gevent.NewHubGroup(2)
		mustPanic(t, "Serve from greenlet", func() { _ = g.Serve(ctx) }, "greenlet")
		mustPanic(t, "RunGroup from greenlet", func() {
			_ = gevent.RunGroup(ctx, 2, func(context.Context) error { return nil })
		}, "greenlet")
		return nil
	})
}

// HubIndex names each hub of a group; Spread of a hub outside any group is
// ctx itself; a spread spawn from a greenlet lands on every hub.
func TestHostileGroupHubIndex(t *testing.T) {
	defer guard(t, 20*time.Second)()
	err := gevent.RunGroup(context.Background(), 3, func(ctx context.Context) error {
		if i := gevent.HubIndex(ctx); i != 0 {
			t.Errorf("main's HubIndex = %d, want 0", i)
		}
		seen := make([]bool, 3)
		var gls []*gevent.Greenlet[int]
		for range 6 {
			gls = append(gls, gevent.Spawn(gevent.Spread(ctx), func(ctx context.Context) (int, error) {
				return gevent.HubIndex(ctx), nil
			}))
		}
		for _, gl := range gls {
			i, err := gl.Get(ctx)
			if err != nil || i < 0 || i >= 3 {
				t.Errorf("spread greenlet: index %d, err %v", i, err)
				continue
			}
			seen[i] = true
		}
		for i, s := range seen {
			if !s {
				t.Errorf("no spread greenlet ran on hub %d", i)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	geventtest.Run(t, func(ctx context.Context) error {
		if gevent.Spread(ctx) != ctx {
			t.Errorf("Spread outside a group changed ctx")
		}
		if i := gevent.HubIndex(ctx); i != -1 {
			t.Errorf("HubIndex outside a group = %d, want -1", i)
		}
		return nil
	})
}

func TestHostileWithHubNameEmpty(t *testing.T) {
	h := gevent.NewHub(gevent.WithHubName(""))
	if h.Name() == "" {
		t.Errorf("WithHubName(\"\") left the hub nameless, want the default hub-<id>")
	}
}

// WithCancel: cancel twice, cancel from a plain goroutine while a greenlet
// waits, and a cancelled parent all end the wait with the right cause.
func TestHostileWithCancel(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		c, cancel := gevent.WithCancelCause(ctx)
		boom := errors.New("boom")
		go func() { cancel(boom); cancel(nil) }()
		if err := gevent.Sleep(c, time.Hour); !errors.Is(err, boom) {
			t.Errorf("Sleep = %v, want %v", err, boom)
		}
		if !errors.Is(c.Err(), context.Canceled) {
			t.Errorf("Err = %v, want Canceled", c.Err())
		}
		p, pcancel := gevent.WithCancel(ctx)
		child, ccancel := gevent.WithCancel(p)
		defer ccancel()
		pcancel()
		if err := gevent.Sleep(child, time.Hour); !errors.Is(err, context.Canceled) {
			t.Errorf("child of cancelled parent: Sleep = %v", err)
		}
		return nil
	})
}

// A zero or negative threshold turns the monitor off: a hold is not reported.
func TestHostileStallMonitorOff(t *testing.T) {
	for _, th := range []time.Duration{0, -time.Second} {
		reported := false
		geventtest.Run(t, func(ctx context.Context) error {
			time.Sleep(5 * time.Millisecond) // a hold; nothing should see it
			return nil
		}, gevent.WithStallMonitor(th, gevent.MonitorTick(time.Millisecond),
			gevent.MonitorReport(func(gevent.StallEvent) { reported = true })))
		if reported {
			t.Errorf("threshold %v reported a stall", th)
		}
	}
}
