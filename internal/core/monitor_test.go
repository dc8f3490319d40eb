package core

import (
	"context"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// spinFor holds the CPU for d without a switch point, and then until
// reported is set (when not nil): on a loaded machine the monitor may run
// late, and the test wants the culprit's frame in the report.
//
//go:noinline
func spinFor(d time.Duration, reported *atomic.Bool) {
	for start := time.Now(); time.Since(start) < d || reported != nil && !reported.Load() && time.Since(start) < 10*time.Second; {
	}
}

// sleepFor holds the hub blocked in the OS (a time.Sleep in a greenlet),
// like spinFor.
//
//go:noinline
func sleepFor(d time.Duration, reported *atomic.Bool) {
	time.Sleep(d)
	for start := time.Now(); reported != nil && !reported.Load() && time.Since(start) < 10*time.Second; {
		time.Sleep(time.Millisecond)
	}
}

// eventLog collects a monitor's events.
type eventLog struct {
	mu     sync.Mutex
	events []StallEvent
}

func (l *eventLog) add(e StallEvent) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

func (l *eventLog) all() []StallEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// monitored serves a hub with a monitor until main returns, and returns the
// events (the monitor has stopped by then: Serve waits for it).
func monitored(t *testing.T, cfg MonitorConfig, main func(g *G) error) []StallEvent {
	t.Helper()
	var log eventLog
	if report := cfg.Report; report != nil {
		cfg.Report = func(e StallEvent) { log.add(e); report(e) }
	} else {
		cfg.Report = log.add
	}
	h := NewHub(context.Background(), Options{Monitor: cfg})
	var m *prober
	mg := spawnG(h, h.Context(), func(g *G) error {
		m = h.mon
		return main(g)
	})
	done := time.AfterFunc(time.Minute, func() { panic("monitored hub hung") })
	defer done.Stop()
	h.Serve(context.Background(), mg)
	if err := mg.Result(); err != nil {
		t.Fatalf("main: %v", err)
	}
	if m == nil {
		t.Fatal("no monitor ran on the hub")
	}
	select {
	case <-m.done:
	default:
		t.Fatal("the monitor goroutine still runs after Serve returned")
	}
	if got := len(h.RecentStalls()); got != min(len(log.all()), stallRingSize) {
		t.Errorf("RecentStalls has %d events, the report got %d", got, len(log.all()))
	}
	return log.all()
}

// TestMonitorNamesHolder: a greenlet that spins, or blocks in time.Sleep,
// for 120ms is reported once, named, with a live stack that shows the
// culprit, after at least the threshold and while it still holds the hub;
// its end event carries the hold's duration (within a tick). 20 of 20 runs
// each.
func TestMonitorNamesHolder(t *testing.T) {
	const (
		threshold = 50 * time.Millisecond
		tick      = 5 * time.Millisecond
		hold      = 120 * time.Millisecond
	)
	for _, c := range []struct {
		name  string
		frame string
		hold  func(time.Duration, *atomic.Bool)
	}{
		{"spin", "core.spinFor(", spinFor},
		{"sleep", "core.sleepFor(", sleepFor},
	} {
		t.Run(c.name, func(t *testing.T) {
			var latencies, ends []time.Duration
			for run := range 20 {
				var culprit *G
				var began, ended, parkedAt, joinedAt time.Time
				var reported atomic.Bool
				cfg := MonitorConfig{Threshold: threshold, Tick: tick, Report: func(StallEvent) { reported.Store(true) }}
				events := monitored(t, cfg, func(g *G) error {
					culprit = spawnG(g.hub, g, func(cg *G) error {
						began = time.Now()
						c.hold(hold, &reported)
						ended = time.Now()
						return nil
					})
					culprit.SetName("culprit")
					// Spread the hold's start over a tick.
					parkedAt = time.Now()
					if err := g.hub.Sleep(g, g, time.Duration(run)*tick/20); err != nil {
						return err
					}
					err := culprit.Join(g)
					joinedAt = time.Now()
					return err
				})
				if len(events) != 2 {
					t.Fatalf("run %d: %d events, want a detection and an end: %+v", run, len(events), events)
				}
				det, end := events[0], events[1]
				if det.Ended || !end.Ended {
					t.Fatalf("run %d: events out of order: %+v", run, events)
				}
				if det.G != culprit || det.Name != "culprit" || det.Callback {
					t.Fatalf("run %d: detection names %p %q (callback %v), want the culprit %p; stack:\n%s", run, det.G, det.Name, det.Callback, culprit, det.Stack)
				}
				if !strings.Contains(det.Stack, c.frame) {
					t.Fatalf("run %d: detection stack does not show %s:\n%s", run, c.frame, det.Stack)
				}
				if det.Held < threshold {
					t.Fatalf("run %d: reported after %v, before the threshold %v", run, det.Held, threshold)
				}
				latencies = append(latencies, det.At.Sub(began))
				if end.G != culprit || end.Name != "culprit" {
					t.Fatalf("run %d: end event names %p %q, want the culprit", run, end.G, end.Name)
				}
				// The end is measured from the first probe after the start
				// (a tick later at most, when the monitor runs on time) to
				// the hub's next switch point: within the time main was
				// parked (the culprit's own measure leaves out its start and
				// end, which a loaded machine can stretch).
				if end.Held < det.Held || end.Held > joinedAt.Sub(parkedAt) {
					t.Fatalf("run %d: end event says held %v; the culprit measured %v, main was parked %v (detected at %v, tick %v)",
						run, end.Held, ended.Sub(began), joinedAt.Sub(parkedAt), det.Held, tick)
				}
				ends = append(ends, ended.Sub(began)-end.Held)
			}
			slices.Sort(latencies)
			t.Logf("%s: decision latency min %v median %v p90 %v max %v (threshold %v, tick %v)", c.name,
				latencies[0], latencies[len(latencies)/2], latencies[len(latencies)*9/10], latencies[len(latencies)-1], threshold, tick)
			slices.Sort(ends)
			t.Logf("%s: hold minus reported duration: median %v max %v", c.name, ends[len(ends)/2], ends[len(ends)-1])
		})
	}
}

// TestMonitorCallbackHolder: a posted function that holds the hub is
// reported as a callback, with its stack.
func TestMonitorCallbackHolder(t *testing.T) {
	var reported atomic.Bool
	cfg := MonitorConfig{Threshold: 30 * time.Millisecond, Tick: 3 * time.Millisecond, Report: func(StallEvent) { reported.Store(true) }}
	events := monitored(t, cfg, func(g *G) error {
		var w *Waiter
		var err error
		if w, err = Prepare(g); err != nil {
			return err
		}
		g.hub.Post(func() {
			spinFor(80*time.Millisecond, &reported)
			w.Wake()
		})
		return w.Block(g)
	})
	if len(events) != 2 {
		t.Fatalf("%d events, want 2: %+v", len(events), events)
	}
	if det := events[0]; !det.Callback || det.G != nil || !strings.Contains(det.Stack, "core.spinFor(") {
		t.Fatalf("detection: callback %v, g %p, stack:\n%s", det.Callback, det.G, det.Stack)
	}
	if end := events[1]; !end.Ended || !end.Callback || end.Held < 70*time.Millisecond {
		t.Fatalf("end: %+v", end)
	}
}

// TestMonitorShortHolds: 1,000 holds of half the threshold, and a hub asleep
// for many thresholds, report nothing. A hold the machine stretched past the
// threshold (the OS took the CPU from the spinning thread) is a real hold:
// the test measures each one and allows exactly those to be reported.
func TestMonitorShortHolds(t *testing.T) {
	const threshold = 10 * time.Millisecond
	stretched := 0
	events := monitored(t, MonitorConfig{Threshold: threshold, Tick: time.Millisecond}, func(g *G) error {
		for range 1000 {
			start := time.Now()
			spinFor(threshold/2, nil)
			if _, err := Yield(g); err != nil {
				return err
			}
			// A hold lies within one spin-and-yield cycle.
			if time.Since(start) > threshold-time.Millisecond {
				stretched++
			}
		}
		return g.hub.Sleep(g, g, 20*threshold)
	})
	detections := 0
	for _, e := range events {
		if !e.Ended {
			detections++
		}
	}
	if detections > stretched {
		t.Fatalf("%d reports for 1,000 holds of %v of which %d lasted over %v; first: %+v",
			detections, threshold/2, stretched, threshold-time.Millisecond, events[0])
	}
	if stretched > 500 {
		t.Skipf("the machine stretched %d of 1,000 holds of %v past %v: too loaded to tell", stretched, threshold/2, threshold)
	}
	t.Logf("%d holds stretched past the threshold by the machine, %d reported", stretched, detections)
}

// TestMonitorStackLimit: above the stack limit no dump is taken; the end
// event still names the holder.
func TestMonitorStackLimit(t *testing.T) {
	var reported atomic.Bool
	cfg := MonitorConfig{Threshold: 20 * time.Millisecond, StackLimit: -1, Report: func(StallEvent) { reported.Store(true) }}
	events := monitored(t, cfg, func(g *G) error {
		g.SetName("main")
		spinFor(60*time.Millisecond, &reported)
		return nil
	})
	if len(events) != 2 {
		t.Fatalf("%d events, want 2: %+v", len(events), events)
	}
	if det := events[0]; det.G != nil || det.Stack != "" {
		t.Fatalf("detection without a dump names %p, stack %q", det.G, det.Stack)
	}
	if end := events[1]; end.Name != "main" || end.Callback {
		t.Fatalf("end event: %+v", end)
	}
}

// TestMonitorFrames pins the frame names the holder is recognised by.
func TestMonitorFrames(t *testing.T) {
	for _, c := range []struct {
		fn   any
		want string
	}{
		{(*G).run, runFrame},
	} {
		got, want := runtime.FuncForPC(reflect.ValueOf(c.fn).Pointer()).Name()+"(", c.want
		if got != want {
			t.Errorf("frame %q, the monitor looks for %q", got, want)
		}
	}
}

// TestWatchStalls: a watch reports a hold of the watching greenlet (while
// it still holds) and nothing for code that switches often; the monitor
// goroutine it started ends with the watch.
func TestWatchStalls(t *testing.T) {
	h := NewHub(context.Background(), Options{})
	var long, short []StallEvent
	stretched := 0
	mg := spawnG(h, h.Context(), func(g *G) error {
		stop := h.WatchStalls(10 * time.Millisecond)
		spinFor(25*time.Millisecond, nil)
		long = stop()
		if h.mon != nil {
			t.Error("the watch's monitor is still installed")
		}
		stop = h.WatchStalls(10 * time.Millisecond)
		for range 25 {
			start := time.Now()
			spinFor(time.Millisecond, nil)
			if _, err := Yield(g); err != nil {
				return err
			}
			if time.Since(start) > 9*time.Millisecond {
				stretched++ // the OS took the CPU: a real hold
			}
		}
		short = stop()
		return nil
	})
	h.Serve(context.Background(), mg)
	if len(long) == 0 || long[0].G != mg || long[0].Held < 10*time.Millisecond {
		t.Errorf("spinning 25ms under a 10ms watch: %+v", long)
	}
	detections := 0
	for _, e := range short {
		if !e.Ended {
			detections++
		}
	}
	if detections > stretched {
		t.Errorf("yielding every millisecond (%d holds stretched by the machine): %+v", stretched, short)
	}
}
