package debug_test

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"slices"
	"strconv"
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
// another goroutine and rendered at once, as the handler does (WriteText,
// WriteJSON). Reported: the worst and median of capture+text, of
// capture+JSON and of the hub pause (read back from the JSON).
func BenchmarkDump100k(b *testing.B) {
	_, end := parkedHub(b, "bench-100k", 1000)
	defer end()
	opts := []debug.Option{debug.Hubs("bench-100k"), debug.Timeout(10 * time.Second)}
	var text, js, pause []time.Duration
	var out bytes.Buffer
	out.Grow(32 << 20) // the JSON of 100,001 greenlets, kept between runs
	// As the repository's batch benchmarks do: an untimed warm-up (it
	// fills the pools a process's first dump fills) and a collection of
	// the setup's garbage, so that no cycle started by the setup runs
	// during the measured dumps.
	debug.WriteJSON(context.Background(), &out, opts...)
	runtime.GC()
	for b.Loop() {
		start := time.Now()
		if err := debug.WriteText(context.Background(), io.Discard, opts...); err != nil {
			b.Fatal(err)
		}
		text = append(text, time.Since(start))
		out.Reset()
		start = time.Now()
		if err := debug.WriteJSON(context.Background(), &out, opts...); err != nil {
			b.Fatal(err)
		}
		js = append(js, time.Since(start))
		pause = append(pause, pauseOf(b, out.Bytes()))
	}
	reportDurations(b, "text", text)
	reportDurations(b, "json", js)
	reportDurations(b, "pause", pause)
}

// BenchmarkCapture100k: the same hub captured into a Snapshot that is
// handed out (its memory is fresh: about 30 MB at this size).
func BenchmarkCapture100k(b *testing.B) {
	_, end := parkedHub(b, "bench-capture-100k", 1000)
	defer end()
	runtime.GC() // the setup's garbage, as in BenchmarkDump100k
	var took, pause []time.Duration
	for b.Loop() {
		start := time.Now()
		s := debug.Capture(context.Background(), debug.Hubs("bench-capture-100k"), debug.Timeout(10*time.Second))
		took = append(took, time.Since(start))
		if n := len(s.Hubs[0].Greenlets); n != 100_001 {
			b.Fatalf("%d greenlets, want 100001", n)
		}
		pause = append(pause, s.Hubs[0].Pause)
	}
	reportDurations(b, "capture", took)
	reportDurations(b, "pause", pause)
}

// pauseOf reads the first hub's pause_ns back from a JSON dump.
func pauseOf(b *testing.B, js []byte) time.Duration {
	const key = `"pause_ns":`
	i := bytes.Index(js, []byte(key))
	if i < 0 {
		b.Fatalf("no pause in %.200s", js)
	}
	j := i + len(key)
	k := j
	for k < len(js) && js[k] >= '0' && js[k] <= '9' {
		k++
	}
	ns, err := strconv.ParseInt(string(js[j:k]), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return time.Duration(ns)
}

// reportDurations reports the worst and the median of ds in milliseconds.
func reportDurations(b *testing.B, name string, ds []time.Duration) {
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)-1])/1e6, name+"-max-ms")
	b.ReportMetric(float64(ds[len(ds)/2])/1e6, name+"-median-ms")
}
