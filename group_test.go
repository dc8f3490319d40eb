package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/lock"
	"github.com/gevent-go/gevent/queue"
)

// runGroup runs body as RunGroup's main over n hubs, bounded by a deadline
// (a hang fails the test), and fails the test with body's error.
func runGroup(t *testing.T, n int, body func(ctx context.Context) error, opts ...gevent.HubOption) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var err error
	runWithin(t, 30*time.Second, func() { err = gevent.RunGroup(ctx, n, body, opts...) })
	if err != nil {
		t.Fatalf("RunGroup: %v", err)
	}
}

// serveGroup serves g on a goroutine and returns a function that stops it
// and checks that Serve returned nil, under a deadline.
func serveGroup(t *testing.T, g *gevent.HubGroup) (stop func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- g.Serve(context.Background()) }()
	return func() {
		t.Helper()
		g.Stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("HubGroup.Serve did not return after Stop")
		}
	}
}

// hubOf spawns a greenlet with ctx and returns the index of the hub it ran on.
func hubOf(t *testing.T, ctx context.Context) int {
	t.Helper()
	i, err := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
		return gevent.HubIndex(ctx), nil
	}).Get(context.WithoutCancel(ctx))
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return i
}

// Spawns through the group's Context go round-robin over its hubs; Hub(i)
// places on hub i; a greenlet's own context keeps its children on its hub.
func TestHubGroupPlacement(t *testing.T) {
	g := gevent.NewHubGroup(3, quiet())
	if g.Len() != 3 {
		t.Fatalf("Len = %d, want 3", g.Len())
	}
	defer serveGroup(t, g)()
	ctx := context.Background()

	counts := make([]int, 3)
	var gs []*gevent.Greenlet[int]
	for range 30 {
		gs = append(gs, gevent.Spawn(g.Context(), func(ctx context.Context) (int, error) {
			return gevent.HubIndex(ctx), nil
		}))
	}
	for _, gl := range gs {
		i, err := gl.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		counts[i]++
	}
	if !slices.Equal(counts, []int{10, 10, 10}) {
		t.Errorf("round-robin placement: per hub %v, want [10 10 10]", counts)
	}

	for i := range 3 {
		if got := hubOf(t, g.Hub(i).Context()); got != i {
			t.Errorf("Hub(%d).Context placed on hub %d", i, got)
		}
	}

	// Locality: a greenlet's own context; Spread from it spreads, and the
	// greenlets Spread placed do not spread in turn.
	res, err := gevent.Spawn(g.Hub(1).Context(), func(ctx context.Context) ([]int, error) {
		var own, spread, grand []int
		for range 6 {
			own = append(own, hubOf(t, ctx))
			sctx := gevent.Spread(ctx)
			spread = append(spread, hubOf(t, sctx))
			j, err := gevent.Spawn(sctx, func(ctx context.Context) (int, error) {
				return hubOf(t, ctx) - gevent.HubIndex(ctx), nil // 0: child on its parent's hub
			}).Get(ctx)
			if err != nil {
				return nil, err
			}
			grand = append(grand, j)
		}
		if slices.ContainsFunc(own, func(i int) bool { return i != 1 }) {
			t.Errorf("spawned with a greenlet's ctx: hubs %v, want all 1", own)
		}
		if slices.ContainsFunc(grand, func(i int) bool { return i != 0 }) {
			t.Errorf("a greenlet placed by Spread spread its children: %v", grand)
		}
		return spread, nil
	}).Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(res)
	if len(slices.Compact(res)) < 2 {
		t.Errorf("Spread placed every greenlet on one hub: %v", res)
	}
}

// A group of one hub behaves as Run; n < 1 means GOMAXPROCS; Hub(i) out of
// range panics; HubIndex outside a group is -1.
func TestHubGroupSizes(t *testing.T) {
	if g := gevent.NewHubGroup(0); g.Len() < 1 {
		t.Errorf("NewHubGroup(0).Len() = %d", g.Len())
	}
	g := gevent.NewHubGroup(1)
	mustPanic(t, "Hub(1)", func() { g.Hub(1) }, "gevent: HubGroup.Hub: index 1 out of range")
	var nilCtx context.Context
	mustPanic(t, "Spread(nil)", func() { gevent.Spread(nilCtx) }, "gevent: Spread: nil ctx")
	mustPanic(t, "HubIndex(nil)", func() { gevent.HubIndex(nilCtx) }, "gevent: HubIndex: nil ctx")
	mustPanic(t, "RunGroup(nil)", func() { _ = gevent.RunGroup(nilCtx, 1, func(context.Context) error { return nil }) }, "gevent: RunGroup: nil ctx")
	if i := gevent.HubIndex(context.Background()); i != -1 {
		t.Errorf("HubIndex(Background) = %d", i)
	}
	h := gevent.NewHub()
	if gevent.Spread(h.Context()) != h.Context() {
		t.Error("Spread of a hub outside any group changed the context")
	}
	runGroup(t, 1, func(ctx context.Context) error {
		if i := gevent.HubIndex(ctx); i != 0 {
			t.Errorf("HubIndex(main) = %d", i)
		}
		if i := hubOf(t, gevent.Spread(ctx)); i != 0 {
			t.Errorf("a group of one placed on hub %d", i)
		}
		return nil
	})
}

// Joins, Gets and Kills across the hubs of a group.
func TestHubGroupCrossHubJoinGetKill(t *testing.T) {
	runGroup(t, 2, func(ctx context.Context) error {
		sctx := gevent.Spread(ctx)
		var other []*gevent.Greenlet[int]
		for len(other) < 4 {
			gl := gevent.Spawn(sctx, func(ctx context.Context) (int, error) {
				if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
					return 0, err
				}
				return gevent.HubIndex(ctx), nil
			})
			other = append(other, gl)
		}
		seen := map[int]bool{}
		for _, gl := range other {
			i, err := gl.Get(ctx)
			if err != nil {
				return err
			}
			seen[i] = true
		}
		if len(seen) != 2 {
			t.Errorf("results from hubs %v, want both", seen)
		}
		// Kill a sleeper on hub 1 from hub 0, and from hub 1 a sleeper on hub 0.
		sleeper := func(ctx context.Context) (struct{}, error) { return struct{}{}, gevent.Sleep(ctx, time.Hour) }
		s1 := gevent.Spawn(gevent.Spread(ctx), sleeper)
		s0 := gevent.Spawn(ctx, sleeper)
		gevent.Yield(ctx)
		s1.Kill(ctx)
		if !s1.Dead() || !errors.Is(s1.Err(), gevent.ErrGreenletExit) {
			t.Errorf("cross-hub kill: dead %v err %v", s1.Dead(), s1.Err())
		}
		killer := gevent.Go(sctx, func(c context.Context) error {
			s0.Kill(c)
			return s0.Join(c)
		})
		if err := killer.Join(ctx); err != nil || killer.Err() != nil || !s0.Dead() {
			t.Errorf("kill from another hub: %v %v dead %v", err, killer.Err(), s0.Dead())
		}
		_, err := gevent.JoinAll(ctx, []gevent.Task{s0, s1})
		return err
	})
}

// Queues, events and locks between greenlets of different hubs.
func TestHubGroupPrimitivesAcrossHubs(t *testing.T) {
	runGroup(t, 2, func(ctx context.Context) error {
		sctx := gevent.Spread(ctx)
		q := queue.New[int](1)
		var ev event.Event
		const n = 200
		var sum atomic.Int64
		consumers := make([]gevent.Task, 0, 2)
		hubs := make([]int, 2)
		for k := range 2 {
			c := gevent.Go(sctx, func(ctx context.Context) error {
				hubs[k] = gevent.HubIndex(ctx)
				for {
					v, err := q.Get(ctx)
					if err != nil {
						return err
					}
					if v < 0 {
						return nil
					}
					sum.Add(int64(v))
				}
			})
			consumers = append(consumers, c)
		}
		prod := gevent.Go(sctx, func(ctx context.Context) error {
			if err := ev.Wait(ctx); err != nil {
				return err
			}
			for i := 1; i <= n; i++ {
				if err := q.Put(ctx, i); err != nil {
					return err
				}
			}
			for range 2 {
				if err := q.Put(ctx, -1); err != nil {
					return err
				}
			}
			return nil
		})
		gevent.Yield(ctx)
		ev.Set()
		if _, err := gevent.JoinAll(ctx, append(consumers, prod), gevent.RaiseError()); err != nil {
			return err
		}
		if hubs[0] == hubs[1] {
			t.Errorf("consumers on one hub: %v", hubs)
		}
		if got, want := sum.Load(), int64(n*(n+1)/2); got != want {
			t.Errorf("sum through the queue = %d, want %d", got, want)
		}

		// A semaphore held across a switch excludes the greenlets of the
		// other hub too.
		sem := lock.NewSemaphore(1)
		var inside, maxInside atomic.Int32
		var ws []gevent.Task
		for range 8 {
			ws = append(ws, gevent.Go(sctx, func(ctx context.Context) error {
				for range 20 {
					if err := sem.Acquire(ctx); err != nil {
						return err
					}
					v := inside.Add(1)
					for m := maxInside.Load(); v > m && !maxInside.CompareAndSwap(m, v); m = maxInside.Load() {
					}
					err := gevent.Yield(ctx)
					inside.Add(-1)
					sem.Release()
					if err != nil {
						return err
					}
				}
				return nil
			}))
		}
		if _, err := gevent.JoinAll(ctx, ws, gevent.RaiseError()); err != nil {
			return err
		}
		if m := maxInside.Load(); m != 1 {
			t.Errorf("semaphore of 1 admitted %d at once across hubs", m)
		}
		return nil
	})
}

// RunGroup returns once main has ended and every greenlet of every hub has
// been killed and has ended (its deferred calls ran).
func TestRunGroupKillsEveryHub(t *testing.T) {
	var deferred atomic.Int32
	var gs []*gevent.Greenlet[struct{}]
	const per = 5
	runGroup(t, 3, func(ctx context.Context) error {
		started := make(chan int, 3*per)
		for range 3 * per {
			gs = append(gs, gevent.Spawn(gevent.Spread(ctx), func(ctx context.Context) (struct{}, error) {
				defer deferred.Add(1)
				started <- gevent.HubIndex(ctx)
				return struct{}{}, gevent.Sleep(ctx, time.Hour)
			}))
		}
		seen := map[int]int{}
		for range 3 * per {
			// Wait cooperatively: each hub runs its own.
			for len(started) == 0 {
				if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
					return err
				}
			}
			seen[<-started]++
		}
		if len(seen) != 3 {
			t.Errorf("sleepers on hubs %v, want 3 hubs", seen)
		}
		return nil
	})
	if d := deferred.Load(); d != 3*per {
		t.Errorf("%d deferred calls ran, want %d", d, 3*per)
	}
	for _, gl := range gs {
		if !gl.Dead() || !errors.Is(gl.Err(), gevent.ErrGreenletExit) {
			t.Errorf("greenlet after RunGroup: dead %v err %v", gl.Dead(), gl.Err())
		}
	}
}

// main's error is RunGroup's; cancelling ctx kills main with the cause and
// stops every hub; Serve returns ctx's cause; stopping one hub stops all.
func TestHubGroupLifecycle(t *testing.T) {
	boom := errors.New("boom")
	var err error
	runWithin(t, 20*time.Second, func() {
		err = gevent.RunGroup(context.Background(), 2, func(ctx context.Context) error { return boom })
	})
	if err != boom {
		t.Errorf("RunGroup = %v, want main's error", err)
	}

	stop := errors.New("stop")
	cctx, cancel := context.WithCancelCause(context.Background())
	runWithin(t, 20*time.Second, func() {
		err = gevent.RunGroup(cctx, 2, func(ctx context.Context) error {
			gevent.Go(gevent.Spread(ctx), func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
			cancel(stop)
			return gevent.Sleep(ctx, time.Hour)
		})
	})
	if !errors.Is(err, stop) {
		t.Errorf("RunGroup after cancel = %v, want %v", err, stop)
	}

	g := gevent.NewHubGroup(2, quiet())
	sctx, scancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(sctx) }()
	sl := gevent.Go(g.Hub(1).Context(), func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
	scancel(stop)
	select {
	case err := <-done:
		if !errors.Is(err, stop) {
			t.Errorf("Serve after cancel = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if !sl.Dead() {
		t.Error("a greenlet of hub 1 outlived Serve")
	}

	g = gevent.NewHubGroup(3, quiet())
	go func() { done <- g.Serve(context.Background()) }()
	sl = gevent.Go(g.Hub(2).Context(), func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
	g.Hub(1).Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after Hub(1).Stop = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("stopping one hub did not stop the group")
	}
	if !sl.Dead() {
		t.Error("a greenlet of hub 2 outlived Serve")
	}
	mustPanic(t, "Serve twice", func() { _ = g.Serve(context.Background()) }, "gevent: HubGroup served twice")
}

// Failures and panics of greenlets on every hub reach the error handler.
func TestHubGroupErrorsReachHandler(t *testing.T) {
	var mu sync.Mutex
	var got []string
	var reported sync.WaitGroup
	g := gevent.NewHubGroup(2, gevent.WithErrorHandler(func(task gevent.Task, err error) {
		var pe *gevent.PanicError
		kind := "error"
		if errors.As(err, &pe) {
			kind = "panic"
		}
		mu.Lock()
		got = append(got, task.Name()+" "+kind)
		mu.Unlock()
		reported.Done()
	}))
	defer serveGroup(t, g)()
	reported.Add(4)
	for i, name := range []string{"h0", "h1"} {
		gevent.Go(g.Hub(i).Context(), func(ctx context.Context) error { return errors.New("fail") }, gevent.WithName(name+"-fail"))
		gevent.Go(g.Hub(i).Context(), func(ctx context.Context) error { panic("oops") }, gevent.WithName(name+"-panic"))
	}
	runWithin(t, 20*time.Second, reported.Wait)
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(got)
	want := []string{"h0-fail error", "h0-panic panic", "h1-fail error", "h1-panic panic"}
	if !slices.Equal(got, want) {
		t.Errorf("handler saw %q, want %q", got, want)
	}
}

// ExampleHubGroup runs a group of two hubs and places greenlets on them.
func ExampleHubGroup() {
	g := gevent.NewHubGroup(2)
	done := make(chan error, 1)
	go func() { done <- g.Serve(context.Background()) }()

	// The group's Context places each spawn on the next hub.
	var gs []*gevent.Greenlet[int]
	for range 4 {
		gs = append(gs, gevent.Spawn(g.Context(), func(ctx context.Context) (int, error) {
			return gevent.HubIndex(ctx), nil
		}))
	}
	for _, gl := range gs {
		i, _ := gl.Get(context.Background())
		fmt.Println("ran on hub", i)
	}
	g.Stop()
	fmt.Println(<-done)
	// Output:
	// ran on hub 0
	// ran on hub 1
	// ran on hub 0
	// ran on hub 1
	// <nil>
}

// ExampleRunGroup runs main on a group of two hubs and fans work out to
// both with Spread; each greenlet's own context keeps its children on its
// hub.
func ExampleRunGroup() {
	err := gevent.RunGroup(context.Background(), 2, func(ctx context.Context) error {
		sctx := gevent.Spread(ctx)
		var gs []*gevent.Greenlet[string]
		for i := range 4 {
			gs = append(gs, gevent.Spawn(sctx, func(ctx context.Context) (string, error) {
				// A child spawned with this greenlet's ctx runs on its hub.
				child := gevent.Spawn(ctx, func(ctx context.Context) (int, error) { return gevent.HubIndex(ctx), nil })
				hub, err := child.Get(ctx)
				return fmt.Sprintf("item %d: hub %d, child on hub %d", i, gevent.HubIndex(ctx), hub), err
			}))
		}
		for _, g := range gs {
			s, err := g.Get(ctx)
			if err != nil {
				return err
			}
			fmt.Println(s)
		}
		return nil
	})
	fmt.Println("RunGroup:", err)
	// Output:
	// item 0: hub 0, child on hub 0
	// item 1: hub 1, child on hub 1
	// item 2: hub 0, child on hub 0
	// item 3: hub 1, child on hub 1
	// RunGroup: <nil>
}

// RunGroup's main gets ErrLoopExit, as Run's, when nothing on any hub of
// the group can complete its wait; work on another hub (a sleeper that
// will set the event, a greenlet still running) keeps it waiting.
func TestRunGroupLoopExit(t *testing.T) {
	var err error
	runWithin(t, 20*time.Second, func() {
		err = gevent.RunGroup(context.Background(), 2, func(ctx context.Context) error {
			var never event.Event
			return never.Wait(ctx)
		}, quiet())
	})
	if !errors.Is(err, gevent.ErrLoopExit) {
		t.Errorf("main waiting on nothing: RunGroup = %v, want ErrLoopExit", err)
	}
	runWithin(t, 20*time.Second, func() {
		err = gevent.RunGroup(context.Background(), 3, func(ctx context.Context) error {
			var ev, ev2 event.Event
			// Round-robin from hub 0: a greenlet that ends at once (hub 0),
			// a sleeper whose timer keeps main waiting and which then sets
			// ev (hub 1), and, spawned by it, a greenlet that yields a few
			// times and sets ev2 (hub 2): each of hubs 1 and 2 is busy
			// exactly while main needs it.
			gevent.Go(gevent.Spread(ctx), func(ctx context.Context) error { return nil })
			gevent.Go(gevent.Spread(ctx), func(ctx context.Context) error {
				if err := gevent.Sleep(ctx, 20*time.Millisecond); err != nil {
					return err
				}
				ev.Set()
				gevent.Go(gevent.Spread(ctx), func(ctx context.Context) error {
					for range 10 {
						if err := gevent.Yield(ctx); err != nil {
							return err
						}
					}
					ev2.Set()
					return nil
				})
				return nil
			})
			if err := ev.Wait(ctx); err != nil {
				return err
			}
			return ev2.Wait(ctx)
		}, quiet())
	})
	if err != nil {
		t.Errorf("main woken from another hub: RunGroup = %v", err)
	}
}

// A sibling that becomes idle after main's hub last decided still leads to
// ErrLoopExit: main's hub finds hub 1 busy (a sleeper's timer), sleeps, and
// must be told to decide again when hub 1 goes idle; nothing else would
// wake it.
func TestRunGroupLoopExitAfterSiblingIdles(t *testing.T) {
	var err error
	runWithin(t, 20*time.Second, func() {
		err = gevent.RunGroup(context.Background(), 2, func(ctx context.Context) error {
			// Round-robin from hub 0: one greenlet on hub 0, a sleeper on hub 1.
			gevent.Go(gevent.Spread(ctx), func(ctx context.Context) error { return nil })
			gevent.Go(gevent.Spread(ctx), func(ctx context.Context) error {
				return gevent.Sleep(ctx, 20*time.Millisecond)
			})
			var never event.Event
			return never.Wait(ctx)
		}, quiet())
	})
	if !errors.Is(err, gevent.ErrLoopExit) {
		t.Errorf("main waiting on nothing while a sibling sleeps, then idles: RunGroup = %v, want ErrLoopExit", err)
	}
}

// Which contexts derived from a spreading one spread: the context
// package's do; a WithTimeout's does not, and Spread of it does.
func TestSpreadDerivedContexts(t *testing.T) {
	runGroup(t, 2, func(ctx context.Context) error {
		type key struct{}
		hubsOf := func(c context.Context) map[int]bool {
			seen := map[int]bool{}
			for range 4 {
				seen[hubOf(t, c)] = true
			}
			return seen
		}
		sctx := gevent.Spread(ctx)
		if got := hubsOf(context.WithValue(sctx, key{}, 1)); len(got) != 2 {
			t.Errorf("context.WithValue of a spreading context placed on %v", got)
		}
		tctx, cancel := gevent.WithTimeout(sctx, time.Hour)
		defer cancel()
		if got := hubsOf(tctx); len(got) != 1 || !got[0] {
			t.Errorf("WithTimeout of a spreading context placed on %v, want main's hub only", got)
		}
		if got := hubsOf(gevent.Spread(tctx)); len(got) != 2 {
			t.Errorf("Spread of a timeout's context placed on %v", got)
		}
		if gevent.Spread(sctx) != sctx {
			t.Error("Spread of a spreading context made a new one")
		}
		return nil
	})
}

// A group that is never served is garbage once unreferenced, hubs and
// greenlets included, as a lone hub is (the hubs and the group point at
// each other: a cycle the collector takes whole).
func TestUnservedGroupIsCollected(t *testing.T) {
	const n = 20
	var collected atomic.Int32
	for range n {
		g := gevent.NewHubGroup(2)
		gevent.Go(g.Context(), func(context.Context) error { return nil })
		runtime.AddCleanup(g.Hub(1), func(c *atomic.Int32) { c.Add(1) }, &collected)
	}
	deadline := time.Now().Add(10 * time.Second)
	for collected.Load() < n && time.Now().Before(deadline) {
		runtime.GC()
		runtime.Gosched()
	}
	if c := collected.Load(); c < n {
		t.Errorf("%d of %d unserved groups' hubs were collected", c, n)
	}
}
