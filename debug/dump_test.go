package debug_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/debug"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/lock"
	"github.com/gevent-go/gevent/queue"
)

// parkAll spawns one greenlet parked in each kind of wait under a parent
// "session", and returns the objects so that the test can release them.
func parkAll(ctx context.Context) (release func()) {
	var ev event.Event
	sem := lock.NewSemaphore(0)
	q := queue.New[int](2)
	var rl lock.Reentrant
	holder := gevent.Go(ctx, func(ctx context.Context) error {
		rl.Acquire(ctx)
		defer rl.Release(ctx)
		return ev.Wait(ctx)
	}, gevent.WithName("holder"))
	session := gevent.Go(ctx, func(ctx context.Context) error {
		gevent.Go(ctx, func(ctx context.Context) error { return ev.Wait(ctx) }, gevent.WithName("on-event"))
		gevent.Go(ctx, func(ctx context.Context) error { return sem.Acquire(ctx) }, gevent.WithName("on-sem"))
		gevent.Go(ctx, func(ctx context.Context) error { _, err := q.Get(ctx); return err }, gevent.WithName("on-queue"))
		gevent.Go(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) }, gevent.WithName("on-sleep"))
		gevent.Go(ctx, func(ctx context.Context) error {
			if err := rl.Acquire(ctx); err != nil {
				return err
			}
			rl.Release(ctx)
			return nil
		}, gevent.WithName("on-lock"))
		return holder.Join(ctx)
	}, gevent.WithName("session"))
	gevent.Sleep(ctx, 0)
	gevent.Sleep(ctx, 0)
	return func() {
		ev.Set()
		sem.Release()
		q.Put(ctx, 1)
		gevent.KillAll(ctx, []gevent.Task{session})
	}
}

// byName indexes a hub's greenlets by name.
func byName(h *debug.Hub) map[string]*debug.Greenlet {
	m := map[string]*debug.Greenlet{}
	for i := range h.Greenlets {
		m[h.Greenlets[i].Name] = &h.Greenlets[i]
	}
	return m
}

// TestCaptureWaits: every parked greenlet shows its wait kind, its object
// as the object's package describes it, and the greenlets that alone can
// end it; the tree follows the parents.
func TestCaptureWaits(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		release := parkAll(ctx)
		defer release()
		s := debug.CaptureHub(ctx)
		if len(s.Hubs) != 1 || !s.Hubs[0].Responded {
			t.Fatalf("hubs = %+v, want one that responded", s.Hubs)
		}
		gs := byName(&s.Hubs[0])
		holder := gs["holder"].ID
		for _, c := range []struct {
			name, kind, object string
			wakers             []int
		}{
			{"holder", "event", "event.Event(clear, 2 waiting)", nil},
			{"session", "join", "greenlet holder #", []int{holder}},
			{"on-event", "event", "event.Event(clear, 2 waiting)", nil},
			{"on-sem", "semaphore", "lock.Semaphore(0 free, 1 waiting)", nil},
			{"on-queue", "queue.get", "queue(len 0/2, 1 getters, 0 putters, 0 unfinished)", nil},
			{"on-sleep", "sleep", "", nil},
			{"on-lock", "lock", "lock.Reentrant(owner holder #", []int{holder}},
		} {
			g := gs[c.name]
			if g == nil {
				t.Errorf("%s missing from the dump", c.name)
				continue
			}
			if g.State != "parked" || g.Wait == nil {
				t.Errorf("%s: state %q wait %v, want parked", c.name, g.State, g.Wait)
				continue
			}
			if g.Wait.Kind != c.kind || !strings.HasPrefix(g.Wait.Object, c.object) || (c.object == "") != (g.Wait.Object == "") {
				t.Errorf("%s: wait %q %q, want %q %q...", c.name, g.Wait.Kind, g.Wait.Object, c.kind, c.object)
			}
			if !slices.Equal(g.Wait.Wakers, c.wakers) {
				t.Errorf("%s: wakers %v, want %v", c.name, g.Wait.Wakers, c.wakers)
			}
			wantParent := gs["session"].ID
			if c.name == "holder" || c.name == "session" {
				wantParent = gs["main"].ID
			}
			if g.Parent != wantParent {
				t.Errorf("%s: parent %d, want %d", c.name, g.Parent, wantParent)
			}
		}
		if g := gs["on-sleep"]; g.Wait.Deadline < 59*time.Minute {
			t.Errorf("sleep deadline in %v, want about 1h", g.Wait.Deadline)
		}
		if gs["main"].State != "running" || gs["main"].Wait != nil {
			t.Errorf("main: %+v, want running (it took the snapshot)", gs["main"])
		}
		if a, b := gs["holder"].Wait.ObjectID, gs["on-event"].Wait.ObjectID; a == 0 || a != b {
			t.Errorf("object ids of one Event: %d and %d, want equal and non-zero", a, b)
		}
		if a, b := gs["on-sem"].Wait.ObjectID, gs["on-event"].Wait.ObjectID; a == b {
			t.Errorf("two objects share id %d", a)
		}

		// The text: one line a greenlet, children indented under parents.
		var buf bytes.Buffer
		if err := s.WriteText(&buf); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 2+len(gs) {
			t.Fatalf("text has %d lines, want %d:\n%s", len(lines), 2+len(gs), buf.String())
		}
		indent := map[string]int{}
		for _, l := range lines[2:] {
			name := strings.Fields(l)[0]
			indent[name] = len(l) - len(strings.TrimLeft(l, " "))
		}
		if indent["main"] != 2 || indent["session"] != 4 || indent["on-queue"] != 6 {
			t.Errorf("indents %v, want main 2, session 4, on-queue 6:\n%s", indent, buf.String())
		}
		if !strings.Contains(buf.String(), "on-queue #"+strconv.Itoa(gs["on-queue"].ID)+" parked on queue.get queue(len 0/2") {
			t.Errorf("text misses the queue wait:\n%s", buf.String())
		}
		return nil
	})
}

// TestCaptureJSONRoundTrip: the JSON form decodes into the exported types
// and gives back the snapshot it was written from.
func TestCaptureJSONRoundTrip(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		release := parkAll(ctx)
		defer release()
		s := debug.CaptureHub(ctx, debug.SpawnStacks())
		var buf bytes.Buffer
		if err := s.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		var got debug.Snapshot
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("%v\n%s", err, buf.String())
		}
		if !got.Taken.Equal(s.Taken) {
			t.Errorf("taken %v, want %v", got.Taken, s.Taken)
		}
		got.Taken = s.Taken
		if !reflect.DeepEqual(&got, s) {
			t.Errorf("decoded\n%+v\nwant\n%+v", got.Hubs, s.Hubs)
		}
		return nil
	}, gevent.WithSpawnStacks())
}

// TestCaptureWaitingTime: the time waited comes from the hub's loop clock.
func TestCaptureWaitingTime(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var ev event.Event
		gevent.Go(ctx, ev.Wait, gevent.WithName("waiter"))
		defer ev.Set()
		start := time.Now()
		gevent.Sleep(ctx, 30*time.Millisecond)
		s := debug.CaptureHub(ctx)
		elapsed := time.Since(start)
		// The clock is the loop's cached one: it may have been read a
		// little before the park (a loaded machine can stretch that), hence
		// the slack above; below, the sleep bounds it.
		w := byName(&s.Hubs[0])["waiter"].Wait
		if w == nil || w.Waiting < 25*time.Millisecond || w.Waiting > elapsed+time.Second {
			t.Errorf("waiting %+v, want between 25ms and %v", w, elapsed)
		}
		return nil
	})
}

// TestSpawnSite: with spawn stacks recorded, each greenlet names the line
// that spawned it (the first frame outside the library).
func TestSpawnSite(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var ev event.Event
		defer ev.Set()
		gevent.Go(ctx, ev.Wait, gevent.WithName("w")) // the spawn site
		_, _, line, _ := runtime.Caller(0)
		gevent.Sleep(ctx, 0)
		g := byName(&debug.CaptureHub(ctx).Hubs[0])["w"]
		if want := "dump_test.go:" + strconv.Itoa(line-1); g.SpawnSite != want {
			t.Errorf("spawn site %q, want %q", g.SpawnSite, want)
		}
		if g.SpawnStack != nil {
			t.Errorf("spawn stack without the SpawnStacks option: %v", g.SpawnStack)
		}
		return nil
	}, gevent.WithSpawnStacks())
}

// TestFilter keeps the greenlets a filter accepts; a kept greenlet whose
// parent is not kept is a root of the text.
func TestFilter(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		release := parkAll(ctx)
		defer release()
		s := debug.CaptureHub(ctx, debug.Filter(func(g *debug.Greenlet) bool {
			return g.Wait != nil && g.Wait.Kind == "event"
		}))
		var names []string
		for _, g := range s.Hubs[0].Greenlets {
			names = append(names, g.Name)
		}
		if !slices.Equal(names, []string{"holder", "on-event"}) {
			t.Errorf("filtered greenlets %v, want [holder on-event]", names)
		}
		var buf bytes.Buffer
		s.WriteText(&buf)
		if !strings.Contains(buf.String(), "\n  on-event #") {
			t.Errorf("on-event is not a root:\n%s", buf.String())
		}
		return nil
	})
}

// TestCaptureOtherHubs: Capture from a plain goroutine reaches every hub
// of the process by name, each on its own goroutine.
func TestCaptureOtherHubs(t *testing.T) {
	h := gevent.NewHub(gevent.WithHubName("captured-hub"))
	var ev event.Event
	gevent.Go(h.Context(), ev.Wait, gevent.WithName("parked-on-other-hub"))
	done := make(chan error, 1)
	go func() { done <- h.Serve(context.Background()) }()
	defer func() {
		ev.Set()
		h.Stop()
		<-done
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := debug.Capture(context.Background(), debug.Hubs("captured-hub"))
		if len(s.Hubs) != 1 || s.Hubs[0].Name != "captured-hub" || s.Hubs[0].ID != h.ID() {
			t.Fatalf("hubs %+v, want captured-hub alone", s.Hubs)
		}
		if g := byName(&s.Hubs[0])["parked-on-other-hub"]; g != nil && g.State == "parked" {
			break // started and parked
		}
		if time.Now().After(deadline) {
			t.Fatalf("greenlet never parked: %+v", s.Hubs[0])
		}
		runtime.Gosched()
	}
	if s := debug.Capture(context.Background(), debug.Hubs(strconv.FormatUint(h.ID(), 10))); len(s.Hubs) != 1 {
		t.Errorf("by id: %d hubs, want 1", len(s.Hubs))
	}
}

// TestCaptureHeldHub: a hub held by a greenlet that never switches is
// answered for within the timeout, as not responding.
func TestCaptureHeldHub(t *testing.T) {
	h := gevent.NewHub(gevent.WithHubName("held-hub"))
	var stop, spinning atomic.Bool
	gevent.Go(h.Context(), func(ctx context.Context) error {
		spinning.Store(true)
		for !stop.Load() { // never reaches a switch point
		}
		return nil
	})
	done := make(chan error, 1)
	go func() { done <- h.Serve(context.Background()) }()
	defer func() {
		stop.Store(true)
		h.Stop()
		<-done
	}()
	for !spinning.Load() {
		runtime.Gosched()
	}
	start := time.Now()
	s := debug.Capture(context.Background(), debug.Hubs("held-hub"), debug.Timeout(50*time.Millisecond))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("capture took %v with a 50ms timeout", took)
	}
	if len(s.Hubs) != 1 || s.Hubs[0].Responded {
		t.Fatalf("hubs %+v, want held-hub not responding", s.Hubs)
	}
	var buf bytes.Buffer
	s.WriteText(&buf)
	if !strings.Contains(buf.String(), "hub held-hub #") || !strings.Contains(buf.String(), "did not respond") {
		t.Errorf("text:\n%s", buf.String())
	}
}

// TestDumpLarge: the shape of BenchmarkDump100k at a tenth of its size (the
// race detector makes each parked greenlet costly): every greenlet is one
// line of text under its session, and the JSON decodes.
func TestDumpLarge(t *testing.T) {
	_, end := parkedHub(t, "large", 100)
	defer end()
	s := debug.Capture(context.Background(), debug.Hubs("large"), debug.Timeout(time.Minute))
	if len(s.Hubs) != 1 || len(s.Hubs[0].Greenlets) != 10_001 {
		t.Fatalf("hubs %d, want large with 10001 greenlets", len(s.Hubs))
	}
	kinds := map[string]int{}
	for _, g := range s.Hubs[0].Greenlets {
		if g.Wait != nil {
			kinds[g.Wait.Kind]++
		}
	}
	// Per session: 20 each of event, semaphore, queue.get, sleep; 19 joins
	// of siblings and the session's own join; main waits on an event.
	want := map[string]int{"event": 2001, "semaphore": 2000, "queue.get": 2000, "sleep": 2000, "join": 2000}
	if !maps.Equal(kinds, want) {
		t.Errorf("wait kinds %v, want %v", kinds, want)
	}
	var text bytes.Buffer
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")
	if len(lines) != 2+10_001 {
		t.Fatalf("text has %d lines, want %d", len(lines), 2+10_001)
	}
	sessions := 0
	for _, l := range lines[2:] {
		if strings.HasPrefix(l, "    Greenlet-") && strings.Contains(l, " parked on join ") {
			sessions++ // depth 1 under main
		}
	}
	if sessions != 100 {
		t.Errorf("%d sessions under main, want 100", sessions)
	}
	var js bytes.Buffer
	if err := s.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var got debug.Snapshot
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Hubs) != 1 || len(got.Hubs[0].Greenlets) != 10_001 {
		t.Errorf("decoded %d hubs", len(got.Hubs))
	}
}

// TestCaptureUnservedHub: a hub not served yet is reported as such at
// once, not after the timeout.
func TestCaptureUnservedHub(t *testing.T) {
	h := gevent.NewHub(gevent.WithHubName("unserved-hub"))
	gevent.Go(h.Context(), func(ctx context.Context) error { return nil })
	start := time.Now()
	s := debug.Capture(context.Background(), debug.Hubs("unserved-hub"), debug.Timeout(time.Minute))
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("capture took %v", took)
	}
	if len(s.Hubs) != 1 || s.Hubs[0].Responded || s.Hubs[0].Phase != "idle" {
		t.Fatalf("hubs %+v, want unserved-hub idle", s.Hubs)
	}
	var buf bytes.Buffer
	s.WriteText(&buf)
	if !strings.Contains(buf.String(), "hub unserved-hub #"+strconv.FormatUint(h.ID(), 10)+": idle, not served yet") {
		t.Errorf("text:\n%s", buf.String())
	}
	h.Stop()
	if err := h.Serve(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestWriteNow: WriteText and WriteJSON (which render from pooled memory)
// write what Capture's snapshot writes, also when the pooled memory is
// reused, and a greenlet calling them finds its own hub running.
func TestWriteNow(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		release := parkAll(ctx)
		defer release()
		const name = "write-now"
		decode := func(b []byte) debug.Snapshot {
			var s debug.Snapshot
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			s.Taken = time.Time{}
			for i := range s.Hubs {
				s.Hubs[i].Pause = 0
			}
			return s
		}
		var want bytes.Buffer
		debug.Capture(ctx, debug.Hubs(name), debug.SpawnStacks()).WriteJSON(&want)
		for range 3 {
			var got bytes.Buffer
			if err := debug.WriteJSON(ctx, &got, debug.Hubs(name), debug.SpawnStacks()); err != nil {
				t.Fatal(err)
			}
			if g, w := decode(got.Bytes()), decode(want.Bytes()); !reflect.DeepEqual(g, w) {
				t.Fatalf("WriteJSON:\n%+v\nCapture:\n%+v", g.Hubs, w.Hubs)
			}
		}
		var text bytes.Buffer
		if err := debug.WriteText(ctx, &text, debug.Hubs(name)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text.String(), "\n  main #0 running") || !strings.Contains(text.String(), " on-lock #") {
			t.Errorf("WriteText:\n%s", text.String())
		}
		return nil
	}, gevent.WithSpawnStacks(), gevent.WithHubName("write-now"))
}
