package gevent_test

import (
	"context"
	"testing"
	"time"

	"github.com/gevent-go/gevent/internal/testutil"

	"github.com/gevent-go/gevent"
)

// issue 10 item 9: nil where a value is required panics at the call with
// "gevent: <function>: nil <argument>", not with a nil dereference later
// (or, for a nil function, only when the greenlet runs).
func TestNilArgumentsPanicAtTheCall(t *testing.T) {
	h := serveHub(t)
	ctx := h.Context()
	var nilCtx context.Context
	var nilG *gevent.Greenlet[int]
	g := gevent.New(ctx, func(context.Context) (int, error) { return 1, nil })
	body := func(context.Context) (int, error) { return 1, nil }
	for _, c := range []struct {
		want string
		f    func()
	}{
		{"gevent: Spawn: nil ctx", func() { gevent.Spawn(nilCtx, body) }},
		{"gevent: Spawn: nil fn", func() { gevent.Spawn[int](ctx, nil) }},
		{"gevent: New: nil ctx", func() { gevent.New(nilCtx, body) }},
		{"gevent: New: nil fn", func() { gevent.New[int](ctx, nil) }},
		{"gevent: SpawnLater: nil ctx", func() { gevent.SpawnLater(nilCtx, time.Second, body) }},
		{"gevent: SpawnLater: nil fn", func() { gevent.SpawnLater[int](ctx, time.Second, nil) }},
		{"gevent: SpawnRaw: nil ctx", func() { gevent.SpawnRaw(nilCtx, func(context.Context) {}) }},
		{"gevent: SpawnRaw: nil fn", func() { gevent.SpawnRaw(ctx, nil) }},
		{"gevent: SpawnRunner: nil ctx", func() { gevent.SpawnRunner[int](nilCtx, nil) }},
		{"gevent: SpawnRunner: nil r", func() { gevent.SpawnRunner[int](ctx, nil) }},
		{"gevent: Go: nil ctx", func() { gevent.Go(nilCtx, func(context.Context) error { return nil }) }},
		{"gevent: Go: nil fn", func() { gevent.Go(ctx, nil) }},
		{"gevent: NewGo: nil ctx", func() { gevent.NewGo(nilCtx, func(context.Context) error { return nil }) }},
		{"gevent: NewGo: nil fn", func() { gevent.NewGo(ctx, nil) }},
		{"gevent: Run: nil ctx", func() { gevent.Run(nilCtx, func(context.Context) error { return nil }) }},
		{"gevent: Run: nil main", func() { gevent.Run(context.Background(), nil) }},
		{"gevent: Sleep: nil ctx", func() { gevent.Sleep(nilCtx, time.Second) }},
		{"gevent: Sleep: nil ctx", func() { gevent.Sleep(nilCtx, 0) }},
		{"gevent: Yield: nil ctx", func() { gevent.Yield(nilCtx) }},
		{"gevent: Idle: nil ctx", func() { gevent.Idle(nilCtx) }},
		{"gevent: Current: nil ctx", func() { gevent.Current(nilCtx) }},
		{"gevent: Kill: nil ctx", func() { gevent.Kill(nilCtx, g) }},
		{"gevent: Kill: nil t", func() { gevent.Kill(ctx, nil) }},
		{"gevent: Kill: nil t", func() { gevent.Kill(ctx, nilG) }},
		{"gevent: JoinAll: nil ctx", func() { gevent.JoinAll(nilCtx, []gevent.Task{g}) }},
		{"gevent: JoinAll: nil tasks[1]", func() { gevent.JoinAll(ctx, []gevent.Task{g, nil}) }},
		{"gevent: JoinAll: nil tasks[0]", func() { gevent.JoinAll(ctx, []*gevent.Greenlet[int]{nil}) }},
		{"gevent: KillAll: nil ctx", func() { gevent.KillAll(nilCtx, []gevent.Task{g}) }},
		{"gevent: KillAll: nil tasks[1]", func() { gevent.KillAll(ctx, []*gevent.Greenlet[int]{g, nil}) }},
		{"gevent: Wait: nil ctx", func() { gevent.Wait(nilCtx, []gevent.Waitable{g}) }},
		{"gevent: Wait: nil objs[0]", func() { gevent.Wait(ctx, []gevent.Waitable{nil, g}) }},
		{"gevent: Wait: nil objs[1]", func() { gevent.Wait(ctx, []gevent.Waitable{g, nilG}) }},
		{"gevent: Iwait: nil ctx", func() { gevent.Iwait(nilCtx, []gevent.Waitable{g}) }},
		{"gevent: Iwait: nil objs[0]", func() { gevent.Iwait(ctx, []*gevent.Greenlet[int]{nil}) }},
		{"gevent: Greenlet.Join: nil ctx", func() { g.Join(nilCtx) }},
		{"gevent: Greenlet.Get: nil ctx", func() { g.Get(nilCtx) }},
		{"gevent: Greenlet.Kill: nil ctx", func() { g.Kill(nilCtx) }},
		{"gevent: Greenlet.Link: nil fn", func() { g.Link(nil) }},
		{"gevent: Greenlet.LinkValue: nil fn", func() { g.LinkValue(nil) }},
		{"gevent: Greenlet.LinkException: nil fn", func() { g.LinkException(nil) }},
		{"gevent: Greenlet.RawLink: nil fn", func() { g.RawLink(nil) }},
		{"gevent: Greenlet.OnReady: nil f", func() { g.OnReady(nil) }},
		{"gevent: AddSpawnCallback: nil f", func() { gevent.AddSpawnCallback(nil) }},
		{"gevent: WithTimeout: nil ctx", func() { gevent.WithTimeout(nilCtx, time.Second) }},
		{"gevent: Timeout.Start: nil ctx", func() { gevent.NewTimeout(time.Second, nil).Start(nilCtx) }},
		{"gevent: WithTimeoutFunc: nil ctx", func() { gevent.WithTimeoutFunc(nilCtx, time.Second, body) }},
		{"gevent: WithTimeoutFunc: nil fn", func() { gevent.WithTimeoutFunc[int](ctx, time.Second, nil) }},
		{"gevent: WithTimeoutFallback: nil ctx", func() { gevent.WithTimeoutFallback(nilCtx, time.Second, body, 0) }},
		{"gevent: WithTimeoutFallback: nil fn", func() { gevent.WithTimeoutFallback(ctx, time.Second, nil, 0) }},
		{"gevent: Blocking: nil ctx", func() { gevent.Blocking(nilCtx, body) }},
		{"gevent: Blocking: nil fn", func() { gevent.Blocking[int](ctx, nil) }},
		{"gevent: SignalHandler: nil ctx", func() { gevent.SignalHandler(nilCtx, nil, func(context.Context) {}) }},
		{"gevent: SignalHandler: nil fn", func() { gevent.SignalHandler(ctx, nil, nil) }},
		{"gevent: WithErrorHandler: nil f", func() { gevent.WithErrorHandler(nil) }},
	} {
		if got := testutil.PanicMessage(c.f); got != c.want {
			t.Errorf("panic = %q, want %q", got, c.want)
		}
	}
	if g.Alive() || g.Dead() {
		t.Error("a failed call started or killed the greenlet")
	}
	g.Kill(ctx)
}

// Every method of a nil *Greenlet, and of a zero Greenlet (no hub: made
// by neither Spawn nor New), panics with its own name.
func TestNilGreenletReceiver(t *testing.T) {
	for _, zero := range []bool{false, true} {
		var g *gevent.Greenlet[int]
		want := ": nil *Greenlet"
		if zero {
			g = new(gevent.Greenlet[int])
			want = ": zero Greenlet; create one with Spawn, New or Go"
		}
		greenletMethodsPanic(t, g, want)
	}
}

func greenletMethodsPanic(t *testing.T, g *gevent.Greenlet[int], suffix string) {
	t.Helper()
	bg := context.Background()
	for _, c := range []struct {
		method string
		f      func()
	}{
		{"Start", func() { g.Start() }},
		{"StartLater", func() { g.StartLater(time.Second) }},
		{"Value", func() { g.Value() }},
		{"Err", func() { g.Err() }},
		{"Ready", func() { g.Ready() }},
		{"Dead", func() { g.Dead() }},
		{"Successful", func() { g.Successful() }},
		{"Alive", func() { g.Alive() }},
		{"Join", func() { g.Join(bg) }},
		{"Get", func() { g.Get(bg) }},
		{"TryGet", func() { g.TryGet() }},
		{"Kill", func() { g.Kill(bg) }},
		{"Cancel", func() { g.Cancel() }},
		{"Link", func() { g.Link(func(context.Context, *gevent.Greenlet[int]) {}) }},
		{"LinkValue", func() { g.LinkValue(func(context.Context, *gevent.Greenlet[int]) {}) }},
		{"LinkException", func() { g.LinkException(func(context.Context, *gevent.Greenlet[int]) {}) }},
		{"RawLink", func() { g.RawLink(func(*gevent.Greenlet[int]) {}) }},
		{"OnReady", func() { g.OnReady(func() {}) }},
		{"Name", func() { g.Name() }},
		{"ID", func() { g.ID() }},
		{"String", func() { _ = g.String() }},
		{"Parent", func() { g.Parent() }},
		{"SpawnStack", func() { g.SpawnStack() }},
	} {
		want := "gevent: Greenlet." + c.method + suffix
		if got := testutil.PanicMessage(c.f); got != want {
			t.Errorf("panic = %q, want %q", got, want)
		}
	}
}

// Every method of a nil *Hub panics with its own name.
func TestNilHubReceiver(t *testing.T) {
	bg := context.Background()
	var h *gevent.Hub
	for _, c := range []struct {
		want string
		f    func()
	}{
		{"gevent: Hub.Context: nil *Hub", func() { h.Context() }},
		{"gevent: Hub.Serve: nil *Hub", func() { h.Serve(bg) }},
		{"gevent: Hub.Stop: nil *Hub", func() { h.Stop() }},
	} {
		if got := testutil.PanicMessage(c.f); got != c.want {
			t.Errorf("panic = %q, want %q", got, c.want)
		}
	}
}
