package gevent_test

import (
	"context"
	"errors"
	"math"
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
	mustPanic(t, "NewHubGroup(MaxInt)", func() { gevent.NewHubGroup(math.MaxInt) }, "NewHubGroup")
	mustPanic(t, "RunGroup(MaxInt)", func() {
		_ = gevent.RunGroup(context.Background(), math.MaxInt, func(context.Context) error { return nil })
	}, "RunGroup")
}

func TestHostileGroupMisuse(t *testing.T) {
	var nilCtx context.Context // (a variable: staticcheck refuses a literal nil)
	mustPanic(t, "Spread(no hub)", func() { gevent.Spread(context.Background()) }, "Spread")
	mustPanic(t, "HubIndex(nil)", func() { gevent.HubIndex(nilCtx) }, "HubIndex")
	mustPanic(t, "Now(nil)", func() { gevent.Now(nilCtx) }, "Now")
	mustPanic(t, "WithCancel(nil)", func() { gevent.WithCancel(nilCtx) }, "WithCancel")
	mustPanic(t, "WithCancelCause(nil)", func() { gevent.WithCancelCause(nilCtx) }, "WithCancelCause")
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
	g := gevent.NewHubGroup(3, gevent.WithErrorHandler(func(gevent.Task, error) {}))
	g.Stop()
	if err := g.Serve(context.Background()); err != nil {
		t.Fatalf("Serve after Stop = %v, want nil", err)
	}
	g.Stop() // twice: harmless
	mustPanic(t, "Serve twice", func() { _ = g.Serve(context.Background()) }, "twice")
	gl := gevent.Go(g.Context(), func(context.Context) error { return nil })
	if _, err := gl.Get(context.Background()); !errors.Is(err, gevent.ErrHubClosed) {
		t.Errorf("a greenlet spawned on a closed group: %v, want ErrHubClosed", err)
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

// A monitor with a tick far longer than the run does not keep Run waiting
// for its goroutine (the leak check of TestMain would see one left).
func TestHostileStallMonitorHugeTick(t *testing.T) {
	defer guard(t, 20*time.Second)()
	start := time.Now()
	err := gevent.Run(context.Background(), func(ctx context.Context) error { return gevent.Yield(ctx) },
		gevent.WithStallMonitor(time.Duration(1<<62), gevent.MonitorTick(time.Duration(1<<62)), gevent.MonitorStackLimit(-1)))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run with a huge monitor tick took %v", d)
	}
}

// A hub of a group cannot be served on its own (it would not stop with the
// group, and the group's Serve would find it served).
func TestHostileGroupMemberServedAlone(t *testing.T) {
	g := gevent.NewHubGroup(2)
	mustPanic(t, "Hub(1).Serve", func() { _ = g.Hub(1).Serve(context.Background()) }, "HubGroup")
	g.Stop()
	if err := g.Serve(context.Background()); err != nil {
		t.Errorf("Serve = %v", err)
	}
}

// Many goroutines spawn onto a group at once, before and while it serves:
// every greenlet runs once, none is lost.
func TestHostileGroupConcurrentSpawn(t *testing.T) {
	defer guard(t, 20*time.Second)()
	g := gevent.NewHubGroup(3)
	const workers, each = 8, 50
	var mu sync.Mutex
	ran := 0
	var spawned sync.WaitGroup
	var gls [workers][]*gevent.Greenlet[struct{}]
	for w := range workers {
		spawned.Add(1)
		go func() {
			defer spawned.Done()
			for range each {
				gls[w] = append(gls[w], gevent.Go(g.Context(), func(context.Context) error {
					mu.Lock()
					ran++
					mu.Unlock()
					return nil
				}))
			}
		}()
	}
	served := make(chan error, 1)
	go func() { served <- g.Serve(context.Background()) }()
	spawned.Wait()
	for w := range workers {
		for _, gl := range gls[w] {
			if err := gl.Join(context.Background()); err != nil {
				t.Fatalf("Join: %v", err)
			}
		}
	}
	g.Stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if ran != workers*each {
		t.Errorf("%d greenlets ran, want %d", ran, workers*each)
	}
}

// Cancelling RunGroup's ctx while greenlets run on every hub kills them all
// and runs their deferred calls before RunGroup returns.
func TestHostileRunGroupCancelMidway(t *testing.T) {
	defer guard(t, 20*time.Second)()
	ctx, cancel := context.WithCancelCause(context.Background())
	boom := errors.New("boom")
	var mu sync.Mutex
	deferred := 0
	const n = 12
	err := gevent.RunGroup(ctx, 3, func(ctx context.Context) error {
		started := make(chan struct{}, n)
		for range n {
			gevent.Go(gevent.Spread(ctx), func(ctx context.Context) error {
				defer func() { mu.Lock(); deferred++; mu.Unlock() }()
				started <- struct{}{}
				return gevent.Sleep(ctx, time.Hour)
			})
		}
		release := gevent.Hold(ctx)
		go func() {
			defer release()
			for range n {
				<-started
			}
			cancel(boom)
		}()
		return gevent.Sleep(ctx, time.Hour)
	})
	if !errors.Is(err, boom) {
		t.Errorf("RunGroup = %v, want %v", err, boom)
	}
	if deferred != n {
		t.Errorf("%d deferred calls ran, want %d", deferred, n)
	}
}

// A WithCancel context made by a greenlet of one hub, cancelled by a
// greenlet of another hub, ends its wait at once; HubIndex of the group's
// Context is 0.
func TestHostileCancelAcrossHubs(t *testing.T) {
	defer guard(t, 20*time.Second)()
	g := gevent.NewHubGroup(2, gevent.WithErrorHandler(func(gevent.Task, error) {}))
	if i := gevent.HubIndex(g.Context()); i != 0 {
		t.Errorf("HubIndex(group Context) = %d, want 0", i)
	}
	cancels := make(chan context.CancelCauseFunc, 1)
	boom := errors.New("boom")
	index := -1
	waiter := gevent.Go(g.Hub(1).Context(), func(ctx context.Context) error {
		index = gevent.HubIndex(ctx)
		c, cancel := gevent.WithCancelCause(ctx)
		cancels <- cancel
		return gevent.Sleep(c, time.Hour)
	})
	canceller := gevent.Go(g.Hub(0).Context(), func(ctx context.Context) error {
		release := gevent.Hold(ctx)
		var cancel context.CancelCauseFunc
		err := func() error {
			defer release()
			_, err := gevent.Blocking(ctx, func(context.Context) (struct{}, error) { cancel = <-cancels; return struct{}{}, nil })
			return err
		}()
		if err != nil {
			return err
		}
		cancel(boom)
		return nil
	})
	served := make(chan error, 1)
	go func() { served <- g.Serve(context.Background()) }()
	if err := waiter.Join(context.Background()); err != nil {
		t.Fatal(err)
	}
	if index != 1 || !errors.Is(waiter.Err(), boom) {
		t.Errorf("waiter on hub 1: index %d, %v; want 1, %v", index, waiter.Err(), boom)
	}
	if err := canceller.Join(context.Background()); err != nil {
		t.Error(err)
	}
	g.Stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}
