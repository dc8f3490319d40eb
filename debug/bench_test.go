package debug_test

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/debug"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/lock"
	"github.com/gevent-go/gevent/queue"
)

// parkedHub serves a hub with trees sessions of 100 greenlets each (the
// session and 99 children parked, a fifth each, on an Event, a Semaphore, a
// Queue.Get, a Sleep and a Join of a sibling; the session joins its last
// child) plus the main greenlet, parked on an Event: trees*100+1 greenlets.
// It returns the hub and a function that ends it.
func parkedHub(tb testing.TB, name string, trees int) (*gevent.Hub, func()) {
	h := gevent.NewHub(gevent.WithHubName(name))
	var stop, ev event.Event
	sem := lock.NewSemaphore(0)
	q := queue.New[int](0)
	ready := make(chan struct{})
	gevent.Go(h.Context(), func(ctx context.Context) error {
		for range trees {
			gevent.Go(ctx, func(ctx context.Context) error {
				var last gevent.Task
				for k := range 99 {
					var fn func(context.Context) error
					switch k % 5 {
					case 0:
						fn = ev.Wait
					case 1:
						fn = sem.Acquire
					case 2:
						fn = func(ctx context.Context) error { _, err := q.Get(ctx); return err }
					case 3:
						fn = func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) }
					case 4:
						t := last
						fn = func(ctx context.Context) error { return t.Join(ctx) }
					}
					last = gevent.Go(ctx, fn)
				}
				return last.Join(ctx)
			})
		}
		gevent.Sleep(ctx, 0)
		gevent.Sleep(ctx, 0)
		close(ready)
		return stop.Wait(ctx)
	}, gevent.WithName("main"))
	done := make(chan error, 1)
	go func() { done <- h.Serve(context.Background()) }()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		tb.Fatal("greenlets did not park")
	}
	return h, func() {
		stop.Set()
		h.Stop()
		<-done
	}
}

// BenchmarkDump100k: a dump of 100,001 parked greenlets, captured from
// another goroutine (as the handler does) and rendered. Reported: the
// worst and median of capture+text, capture+JSON and of the hub pause.
func BenchmarkDump100k(b *testing.B) {
	_, end := parkedHub(b, "bench-100k", 1000)
	defer end()
	var text, js, pause []time.Duration
	for b.Loop() {
		start := time.Now()
		s := debug.Capture(debug.Hubs("bench-100k"), debug.Timeout(10*time.Second))
		if err := s.WriteText(io.Discard); err != nil {
			b.Fatal(err)
		}
		text = append(text, time.Since(start))
		pause = append(pause, s.Hubs[0].Pause)
		if n := len(s.Hubs[0].Greenlets); n != 100_001 {
			b.Fatalf("%d greenlets, want 100001", n)
		}
		start = time.Now()
		s = debug.Capture(debug.Hubs("bench-100k"), debug.Timeout(10*time.Second))
		if err := s.WriteJSON(io.Discard); err != nil {
			b.Fatal(err)
		}
		js = append(js, time.Since(start))
		pause = append(pause, s.Hubs[0].Pause)
	}
	report := func(name string, ds []time.Duration) {
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)-1])/1e6, name+"-max-ms")
		b.ReportMetric(float64(ds[len(ds)/2])/1e6, name+"-median-ms")
	}
	report("text", text)
	report("json", js)
	report("pause", pause)
}
