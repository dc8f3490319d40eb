package core

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
)

// serveHub serves a hub without a main greenlet on its own goroutine until
// the test ends.
func serveHub(t *testing.T, opts Options) *Hub {
	t.Helper()
	if opts.ErrorHandler == nil {
		opts.ErrorHandler = func(*G, error) {}
	}
	h := NewHub(context.Background(), opts)
	served := make(chan struct{})
	go func() {
		defer close(served)
		h.Serve(context.Background(), nil)
	}()
	t.Cleanup(func() { h.Stop(); <-served })
	return h
}

// checkEndedCtx checks what a greenlet's context says once it is cancelled:
// Err is or wraps want and says Canceled, context.Cause is want exactly, and
// Value(cancelCtxKey) never hands out a cancelCtx that the context package
// would take for ours (its Done channel is never ours).
func checkEndedCtx(g *G, want error) error {
	err := g.Err()
	if err == nil {
		return errors.New("Err is nil after Done closed")
	}
	if !errors.Is(err, context.Canceled) {
		return fmt.Errorf("Err %v does not say Canceled", err)
	}
	if !errors.Is(err, want) {
		return fmt.Errorf("Err %v, want it to be or wrap %v", err, want)
	}
	if c := context.Cause(g); c != want {
		return fmt.Errorf("context.Cause %v, want %v", c, want)
	}
	if c := Cause(g); c != want {
		return fmt.Errorf("Cause %v, want %v", c, want)
	}
	return nil
}

// TestDoneRacesEndAndKill asks for a greenlet's Done channel, Err, Cause and
// Value(cancelCtxKey) from several goroutines while the greenlet ends
// quietly or is killed with a custom cause: every Done channel handed out
// closes, and the context then reports one cause, the kill's when it came
// first and ErrGreenletDone otherwise, consistent with the result.
func TestDoneRacesEndAndKill(t *testing.T) {
	deadline := failAfter(t, 120*time.Second)
	defer deadline.Stop()
	h := serveHub(t, Options{})
	rounds := 300
	if testing.Short() {
		rounds = 60
	}
	const racers = 4
	var killedFirst, quiet, doneSeen int
	defer func() {
		t.Logf("%d rounds: %d killed first, %d quiet ends, %d Done channels handed out", rounds, killedFirst, quiet, doneSeen)
	}()
	for round := range rounds {
		kill := round%2 == 1
		custom := fmt.Errorf("custom %d", round)
		g := new(G)
		g.Init(h, h.Context(), runFunc(func(g *G) error {
			for range round % 3 {
				if _, err := Yield(g); err != nil {
					return err
				}
			}
			return nil
		}))
		var start, wg sync.WaitGroup
		start.Add(1)
		chans := make([][]<-chan struct{}, racers)
		for i := range racers {
			wg.Go(func() {
				start.Wait()
				for {
					d := g.Done()
					chans[i] = append(chans[i], d)
					_ = g.Err()
					_ = context.Cause(g)
					_ = g.Value(cancelCtxKey)
					select {
					case <-d:
						return
					default:
						runtime.Gosched()
					}
				}
			})
		}
		if round%4 < 2 {
			start.Done()
			g.Start()
		} else {
			// Racers that start with the greenlet: some ask for Done only
			// after its quiet end, some just before.
			g.Start()
			start.Done()
		}
		if kill {
			wg.Go(func() { g.Kill(custom) })
		}
		wg.Wait() // every racer saw its Done close (else the deadline fires)
		if err := g.Join(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := ErrGreenletDone
		if c := g.causeOf(); kill && c == custom {
			want = custom
			killedFirst++
		}
		for _, cs := range chans {
			doneSeen += len(cs)
		}
		if g.rare.Load() == nil {
			quiet++
		}
		if r := g.Result(); r != nil && r != want {
			t.Fatalf("round %d: result %v but context cause %v", round, r, want)
		}
		for i, cs := range chans {
			for _, d := range cs {
				select {
				case <-d:
				default:
					t.Fatalf("round %d: racer %d holds a Done channel never closed", round, i)
				}
			}
		}
		if err := checkEndedCtx(g, want); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// TestQuietEndContext: a greenlet that ends with nobody listening records no
// cause, yet its context reads as ErrGreenletDone everywhere, and what
// registers later (Done, AfterFunc, context.AfterFunc, derived contexts, a
// TimerCtx) sees it cancelled at once with that cause.
func TestQuietEndContext(t *testing.T) {
	deadline := failAfter(t, 60*time.Second)
	defer deadline.Stop()
	h := serveHub(t, Options{})
	g := spawnG(h, h.Context(), func(*G) error { return nil })
	if err := g.Join(context.Background()); err != nil {
		t.Fatal(err)
	}
	if g.rare.Load() != nil {
		t.Fatal("a quiet end allocated the rare block: the test does not reach the quiet path")
	}
	<-g.Done()
	if err := checkEndedCtx(g, ErrGreenletDone); err != nil {
		t.Fatal(err)
	}
	if v := g.Value(cancelCtxKey); v != nil {
		t.Fatalf("Value(cancelCtxKey) = %v, want nil (no custom cause)", v)
	}
	ran := make(chan struct{})
	g.AfterFunc(func() { close(ran) })
	<-ran
	ran2 := make(chan struct{})
	context.AfterFunc(g, func() { close(ran2) })
	<-ran2
	child, cancel := context.WithCancel(g)
	defer cancel()
	<-child.Done()
	if c := context.Cause(child); c != ErrGreenletDone {
		t.Fatalf("derived context's cause %v, want ErrGreenletDone", c)
	}
	tc := new(TimerCtx)
	tc.Init(errors.New("timeout"))
	tc.Start(g, time.Hour)
	<-tc.Done()
	if c := Cause(tc); c != ErrGreenletDone {
		t.Fatalf("TimerCtx under the dead greenlet: cause %v, want ErrGreenletDone", c)
	}
	tc.Stop()
	if tc.Reusable() {
		t.Fatal("a cancelled, observed TimerCtx reports Reusable")
	}
}

// TestDerivedContextsFollowGreenlet derives contexts (context.WithCancel,
// context.WithCancelCause, context.AfterFunc, AfterFunc) from a greenlet's
// context before it starts, while it runs, concurrently with its end and
// after it: each is cancelled exactly once with the greenlet's cause (a
// custom kill cause, ErrGreenletExit or ErrGreenletDone).
func TestDerivedContextsFollowGreenlet(t *testing.T) {
	deadline := failAfter(t, 120*time.Second)
	defer deadline.Stop()
	h := serveHub(t, Options{})
	rounds := 150
	if testing.Short() {
		rounds = 30
	}
	for round := range rounds {
		var want error
		switch round % 3 {
		case 0:
			want = ErrGreenletDone
		case 1:
			want = fmt.Errorf("custom %d", round)
		case 2:
			want = ErrGreenletExit
		}
		type derived struct {
			ctx   context.Context
			calls *atomic.Int32
		}
		var mu sync.Mutex
		var ds []derived
		derive := func(g *G) {
			c1, cancel1 := context.WithCancel(g)
			c2, cancel2 := context.WithCancelCause(g)
			_, _ = cancel1, cancel2 // cancelled by the greenlet
			var n1, n2, n3 atomic.Int32
			context.AfterFunc(g, func() { n1.Add(1) })
			g.AfterFunc(func() { n2.Add(1) })
			context.AfterFunc(c1, func() { n3.Add(1) })
			mu.Lock()
			ds = append(ds, derived{c1, &n3}, derived{c2, nil}, derived{g, &n1}, derived{g, &n2})
			mu.Unlock()
		}
		g := new(G)
		release := make(chan struct{})
		g.Init(h, h.Context(), runFunc(func(g *G) error {
			derive(g)
			if want == ErrGreenletDone {
				return nil
			}
			for {
				if _, err := Yield(g); err != nil {
					return err
				}
				select {
				case <-release:
				default:
					continue
				}
				break
			}
			return nil
		}))
		derive(g)
		g.Start()
		var wg sync.WaitGroup
		wg.Go(func() { derive(g) }) // during
		if want != ErrGreenletDone {
			wg.Go(func() { g.Kill(want) })
		} else {
			close(release)
		}
		wg.Wait()
		if err := g.Join(context.Background()); err != nil {
			t.Fatal(err)
		}
		derive(g) // after
		for i, d := range ds {
			<-d.ctx.Done()
			if c := context.Cause(d.ctx); c != want {
				t.Fatalf("round %d: derived %d: cause %v, want %v", round, i, c, want)
			}
			if !errors.Is(d.ctx.Err(), context.Canceled) {
				t.Fatalf("round %d: derived %d: Err %v does not say Canceled", round, i, d.ctx.Err())
			}
		}
		// AfterFunc callbacks of a cancelled context may run on their own
		// goroutine: wait for each, then check it ran once.
		for i, d := range ds {
			if d.calls == nil {
				continue
			}
			for d.calls.Load() == 0 {
				runtime.Gosched()
			}
			if n := d.calls.Load(); n != 1 {
				t.Fatalf("round %d: callback %d ran %d times", round, i, n)
			}
		}
		if err := checkEndedCtx(g, want); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// TestTimerCtxNotReusableAfterDone: a TimerCtx whose Done channel was handed
// out is never re-armed, even when it was stopped before expiring.
func TestTimerCtxNotReusableAfterDone(t *testing.T) {
	tc := new(TimerCtx)
	tc.Init(errors.New("timeout"))
	if !tc.Reusable() {
		t.Fatal("a fresh TimerCtx is not Reusable")
	}
	tc.Start(context.Background(), time.Hour)
	d := tc.Done()
	tc.Stop()
	if tc.Reusable() {
		t.Fatal("Reusable after Done: a watcher of this run would see the next")
	}
	select {
	case <-d:
		t.Fatal("Stop closed Done")
	default:
	}
}

// TestLinksRaceEnd adds links from several goroutines while the greenlet
// ends (or is killed, started or not) and while its notifications run:
// every link runs exactly once, each goroutine's links in the order it
// added them, links added by a link run in the same pass, and State, Ran
// and Dead never show the notification bit or an impossible value.
func TestLinksRaceEnd(t *testing.T) {
	deadline := failAfter(t, 120*time.Second)
	defer deadline.Stop()
	h := serveHub(t, Options{})
	rounds := 200
	if testing.Short() {
		rounds = 40
	}
	const adders, perAdder = 3, 20
	for round := range rounds {
		mode := round % 4 // 0: ends; 1: killed running; 2: killed unstarted; 3: killed scheduled
		g := new(G)
		g.Init(h, h.Context(), runFunc(func(g *G) error {
			if _, err := Yield(g); err != nil {
				return err
			}
			return nil
		}))
		var mu sync.Mutex
		seen := make([][]int, adders+1)
		var total atomic.Int32
		var start, wg sync.WaitGroup
		start.Add(1)
		for a := range adders {
			wg.Go(func() {
				start.Wait()
				for i := range perAdder {
					g.AddLink(&Link{Fn: func() {
						mu.Lock()
						seen[a] = append(seen[a], i)
						mu.Unlock()
						total.Add(1)
						if i == perAdder-1 && a == 0 {
							// A link added by a link runs in this pass.
							g.AddLink(&Link{Fn: func() {
								mu.Lock()
								seen[adders] = append(seen[adders], 0)
								mu.Unlock()
								total.Add(1)
							}})
						}
					}})
					if st := g.State(); st > StateDead {
						panic(fmt.Sprintf("State() = %d", st))
					}
					if g.Dead() && g.State() != StateDead {
						panic("Dead but State is not StateDead")
					}
				}
			})
		}
		start.Done()
		switch mode {
		case 0:
			g.Start()
		case 1:
			g.Start()
			wg.Go(func() { g.Kill(errors.New("killed")) })
		case 2:
			g.Kill(ErrGreenletExit)
		case 3:
			g.StartLater(int64(time.Hour))
			g.Kill(ErrGreenletExit)
		}
		wg.Wait()
		if err := g.Join(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := int32(adders*perAdder + 1)
		for total.Load() < want {
			// Links run on the hub: wait for them without a sleep.
			done := make(chan struct{})
			h.Post(func() { close(done) })
			<-done
		}
		// Let any duplicate run too before counting.
		done := make(chan struct{})
		h.Post(func() { close(done) })
		<-done
		if n := total.Load(); n != want {
			t.Fatalf("round %d (mode %d): %d link calls, want %d", round, mode, n, want)
		}
		mu.Lock()
		for a := range adders {
			for i, v := range seen[a] {
				if v != i {
					t.Fatalf("round %d (mode %d): adder %d's links ran out of order: %v", round, mode, a, seen[a])
				}
			}
		}
		mu.Unlock()
		if g.State() != StateDead || !g.Dead() {
			t.Fatalf("round %d: State %v after Join", round, g.State())
		}
		if g.state.Load()&stateNotifying != 0 {
			t.Fatalf("round %d: the notification bit stayed set after every link ran", round)
		}
		if mode >= 2 && g.Ran() {
			t.Fatalf("round %d: a greenlet killed before its start reports Ran", round)
		}
		// A link added now still fires, once.
		late := make(chan struct{})
		g.AddLink(&Link{Fn: func() { close(late) }})
		<-late
	}
}

// TestHandoffAcrossSegments: a burst of greenlets well past segmentMin that
// yield in turn (the drain hands over from one to the next) runs in spawn
// order on every pass, across segments and through drains cut by the
// switch interval.
func TestHandoffAcrossSegments(t *testing.T) {
	for _, interval := range []time.Duration{0, time.Nanosecond} {
		t.Run(fmt.Sprint(interval), func(t *testing.T) {
			deadline := failAfter(t, 60*time.Second)
			defer deadline.Stop()
			h := NewHub(context.Background(), Options{SwitchInterval: interval})
			const n, passes = 3*segmentMin + 7, 3
			var got []int
			segmented := false
			main := spawnG(h, h.Context(), func(g *G) error {
				for i := range n {
					spawnG(h, g, func(g *G) error {
						for range passes {
							got = append(got, i)
							if _, err := Yield(g); err != nil {
								return err
							}
						}
						return nil
					})
				}
				h.mu.Lock()
				segmented = len(h.runqFull) > 0
				h.mu.Unlock()
				for h.Live() > 1 {
					if _, err := Yield(g); err != nil {
						return err
					}
				}
				return nil
			})
			h.Serve(context.Background(), main)
			if err := main.Result(); err != nil {
				t.Fatal(err)
			}
			if h.sim == nil && !segmented {
				t.Fatal("the burst did not segment the queue: the test proves nothing")
			}
			if h.sim != nil && segmented {
				t.Fatal("a simulated hub segmented its queue")
			}
			if len(got) != n*passes {
				t.Fatalf("%d steps ran, want %d", len(got), n*passes)
			}
			for i, v := range got {
				if v != i%n {
					t.Fatalf("step %d ran greenlet %d, want %d", i, v, i%n)
				}
			}
		})
	}
}

// TestSegmentsFromOtherGoroutines: plain goroutines and another hub post
// bursts past segmentMin into a served hub while it runs; each source's
// tasks run in the order it posted them, a snapshot during the burst counts
// no more than was posted, and a Stop posted after them lets every one run.
func TestSegmentsFromOtherGoroutines(t *testing.T) {
	deadline := failAfter(t, 60*time.Second)
	defer deadline.Stop()
	h := NewHub(context.Background(), Options{})
	other := NewHub(context.Background(), Options{})
	served := make(chan struct{})
	go func() {
		defer close(served)
		h.Serve(context.Background(), nil)
	}()
	serving := make(chan struct{})
	h.Post(func() { close(serving) })
	<-serving // OnHub refuses a hub not served yet
	const sources, n = 3, 2*segmentMin + 3
	var got [sources][]int
	var wg sync.WaitGroup
	for s := range sources - 1 {
		wg.Go(func() {
			for i := range n {
				h.Post(func() { got[s] = append(got[s], i) })
			}
		})
	}
	// The last source is a greenlet of another hub: cross-hub wake-ups.
	om := spawnG(other, other.Context(), func(g *G) error {
		for i := range n {
			h.Post(func() { got[sources-1] = append(got[sources-1], i) })
			if i%1000 == 0 {
				if _, err := Yield(g); err != nil {
					return err
				}
			}
		}
		return nil
	})
	wg.Go(func() { other.Serve(context.Background(), om) })
	var snap HubSnapshot
	if !h.OnHub(context.Background(), 10*time.Second, func() { h.Snapshot(&snap) }) {
		t.Fatal("OnHub timed out")
	}
	if snap.RunQueue < 0 || snap.RunQueue > sources*n {
		t.Fatalf("snapshot counts %d queued tasks, posted at most %d", snap.RunQueue, sources*n)
	}
	wg.Wait()
	h.Stop()
	<-served
	for s := range sources {
		if len(got[s]) != n {
			t.Fatalf("source %d: %d tasks ran, want %d", s, len(got[s]), n)
		}
		for i, v := range got[s] {
			if v != i {
				t.Fatalf("source %d: task %d ran in place %d", s, v, i)
			}
		}
	}
}

// TestStopWithSegmentsPending: a Stop queued behind a burst past segmentMin
// of spawns, posts and links still runs every posted function and every
// link once, and leaves every greenlet dead.
func TestStopWithSegmentsPending(t *testing.T) {
	deadline := failAfter(t, 60*time.Second)
	defer deadline.Stop()
	h := NewHub(context.Background(), Options{})
	const n = 2*segmentMin + 11
	var posts, links atomic.Int32
	gs := make([]*G, n)
	main := spawnG(h, h.Context(), func(g *G) error {
		for i := range n {
			gs[i] = spawnG(h, g, func(g *G) error {
				_, err := Yield(g)
				return err
			})
			gs[i].AddLink(&Link{Fn: func() { links.Add(1) }})
			h.Post(func() { posts.Add(1) })
		}
		h.Stop()
		return nil
	})
	h.Serve(context.Background(), main)
	if p, l := posts.Load(), links.Load(); p != n || l != n {
		t.Fatalf("%d posts and %d links ran, want %d each", p, l, n)
	}
	for i, g := range gs {
		if !g.Dead() {
			t.Fatalf("greenlet %d is %v after Serve", i, g.State())
		}
	}
}

// TestQueuedClosuresSurviveGC posts closures past segmentMin that hold the
// only reference to objects with finalizers, collects several times while
// they sit in the queue (the task keeps a closure as an unsafe.Pointer), and
// checks that each runs with its object intact and unfinalized.
func TestQueuedClosuresSurviveGC(t *testing.T) {
	deadline := failAfter(t, 60*time.Second)
	defer deadline.Stop()
	type obj struct {
		id, check int
		buf       [8]int
		final     atomic.Bool
	}
	h := NewHub(context.Background(), Options{})
	const n = 2*segmentMin + 5
	var ran, bad, early atomic.Int32
	main := spawnG(h, h.Context(), func(g *G) error {
		for i := range n {
			o := &obj{id: i, check: i * 7919}
			for j := range o.buf {
				o.buf[j] = i + j
			}
			runtime.SetFinalizer(o, func(o *obj) { o.final.Store(true) })
			h.Post(func() {
				ran.Add(1)
				if o.final.Load() {
					early.Add(1)
				}
				if o.id != i || o.check != i*7919 || o.buf[7] != i+7 {
					bad.Add(1)
				}
			})
		}
		for range 4 {
			runtime.GC()
		}
		for ran.Load() < n {
			if _, err := Yield(g); err != nil {
				return err
			}
		}
		return nil
	})
	h.Serve(context.Background(), main)
	if err := main.Result(); err != nil {
		t.Fatal(err)
	}
	if r, b, e := ran.Load(), bad.Load(), early.Load(); r != n || b != 0 || e != 0 {
		t.Fatalf("%d of %d closures ran, %d saw a damaged object, %d a finalized one", r, n, b, e)
	}
}

// TestCrossHubWakeupsIntoSegments: a greenlet of one hub wakes, in order,
// more greenlets of another hub than segmentMin while that hub is held busy
// (a spinning greenlet), so that every wake-up queues at once and the queue
// segments: the woken greenlets resume in the order they were woken.
func TestCrossHubWakeupsIntoSegments(t *testing.T) {
	deadline := failAfter(t, 60*time.Second)
	defer deadline.Stop()
	a := serveHub(t, Options{})
	b := serveHub(t, Options{})
	const n = 2*segmentMin + 9
	ws := make([]*Waiter, n)
	var parked atomic.Int32
	ready := make(chan struct{})
	var got []int // hub a's goroutine only
	finished := make(chan struct{})
	for i := range n {
		spawnG(a, a.Context(), func(g *G) error {
			w, err := Prepare(g)
			if err != nil {
				return err
			}
			ws[i] = w
			if parked.Add(1) == n {
				close(ready)
			}
			if err := w.Block(g); err != nil {
				return err
			}
			got = append(got, i)
			if len(got) == n {
				close(finished)
			}
			return nil
		})
	}
	<-ready
	var wokeAll atomic.Bool
	var segmented atomic.Bool
	spinning := make(chan struct{})
	spawnG(a, a.Context(), func(g *G) error {
		close(spinning)
		for !wokeAll.Load() { // holds hub a: the wake-ups queue up
			runtime.Gosched()
		}
		a.mu.Lock()
		segmented.Store(len(a.runqFull) > 0)
		a.mu.Unlock()
		return nil
	})
	<-spinning
	spawnG(b, b.Context(), func(g *G) error {
		for _, w := range ws {
			if !w.Wake() {
				return errors.New("a wake-up found its waiter gone")
			}
		}
		wokeAll.Store(true)
		return nil
	})
	<-finished
	if a.sim == nil && !segmented.Load() {
		t.Fatal("hub a's queue did not segment: the test proves nothing")
	}
	if a.sim != nil && segmented.Load() {
		t.Fatal("a simulated hub segmented its queue")
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("greenlet %d resumed in place %d: cross-hub wake-ups lost their order", v, i)
		}
	}
}

// TestSnapshotCountsSegmentsMidDrain: a snapshot taken by a task in the
// middle of a segmented batch (the drain past its first segment, more
// segments to come) counts exactly the tasks still queued after it.
func TestSnapshotCountsSegmentsMidDrain(t *testing.T) {
	deadline := failAfter(t, 60*time.Second)
	defer deadline.Stop()
	h := NewHub(context.Background(), Options{})
	const n = 3*segmentMin + 5
	probes := []int{0, segmentMin - 1, segmentMin, segmentMin + 1, 2*segmentMin + 7, n - 1}
	got := make(map[int]int)
	midSegments := false
	main := spawnG(h, h.Context(), func(g *G) error {
		for i := range n {
			if slices.Contains(probes, i) {
				h.Post(func() {
					var s HubSnapshot
					h.Snapshot(&s)
					got[i] = s.RunQueue
					midSegments = midSegments || h.batchRest != nil
				})
			} else {
				h.Post(func() {})
			}
		}
		// Queued after every post: main's own wake-up.
		_, err := Yield(g)
		return err
	})
	h.Serve(context.Background(), main)
	if err := main.Result(); err != nil {
		t.Fatal(err)
	}
	if h.sim == nil && !midSegments {
		t.Fatal("no probe ran with segments still to come: the test proves nothing")
	}
	for _, i := range probes {
		// The tasks after it: the posts, then main's wake-up.
		if want := n - 1 - i + 1; got[i] != want {
			t.Errorf("a snapshot from task %d counts %d queued, want %d", i, got[i], want)
		}
	}
}
