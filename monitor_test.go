package gevent_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
)

// spinHub holds the hub for d without a switch point.
//
//go:noinline
func spinHub(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// stallLog collects a monitor's events.
type stallLog struct {
	mu     sync.Mutex
	events []gevent.StallEvent
}

func (l *stallLog) reported() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events) > 0
}

func (l *stallLog) report(e gevent.StallEvent) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

// TestStallMonitorEvent: the events of a hold name the greenlet's handle,
// name, id, function and spawn site, show its live stack, and end with the
// hold's duration; nothing is reported after Run returns.
func TestStallMonitorEvent(t *testing.T) {
	var log stallLog
	var g *gevent.Greenlet[struct{}]
	var actual, outer time.Duration // the spin, and main's wait around it
	geventtest.Run(t, func(ctx context.Context) error {
		start := time.Now()
		defer func() { outer = time.Since(start) }()
		g = gevent.Go(ctx, func(context.Context) error {
			start := time.Now()
			spinHub(100 * time.Millisecond)
			for !log.reported() && time.Since(start) < 10*time.Second {
				spinHub(time.Millisecond) // a loaded machine may run the monitor late
			}
			actual = time.Since(start)
			return nil
		}, gevent.WithName("spinner"), gevent.WithSpawnStack())
		return g.Join(ctx)
	}, gevent.WithStallMonitor(30*time.Millisecond, gevent.MonitorTick(3*time.Millisecond), gevent.MonitorReport(log.report)))
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.events) != 2 {
		t.Fatalf("%d events, want 2: %v", len(log.events), log.events)
	}
	det, end := log.events[0], log.events[1]
	if det.Task != gevent.Task(g) || det.Name != "spinner" || det.ID != end.ID || det.Ended || det.Callback {
		t.Errorf("detection: %+v", det)
	}
	if !strings.Contains(det.Func, "TestStallMonitorEvent") || !strings.Contains(det.Stack, "gevent_test.spinHub(") {
		t.Errorf("detection func %q, stack:\n%s", det.Func, det.Stack)
	}
	if len(det.SpawnStack) == 0 || !strings.Contains(det.SpawnStack[0].Function, "TestStallMonitorEvent") {
		t.Errorf("spawn stack %v", det.SpawnStack)
	}
	if det.Held < 30*time.Millisecond || !strings.Contains(det.String(), `greenlet "spinner"`) {
		t.Errorf("detection held %v: %v", det.Held, det)
	}
	if !end.Ended || end.Task != gevent.Task(g) || end.Held < det.Held || end.Held > outer {
		t.Errorf("end: %v (held %v; the spin lasted %v, main waited %v)", end, end.Held, actual, outer)
	}
	if !strings.Contains(end.String(), "held the hub for") {
		t.Errorf("end event text: %v", end)
	}
}

// TestGEVENTMONITOR: the environment variable turns the monitor on for
// every hub, reporting through log/slog by default (in a child process,
// since the variable is read once).
func TestGEVENTMONITOR(t *testing.T) {
	if os.Getenv("GEVENT_MONITOR_CHILD") == "1" {
		err := gevent.Run(context.Background(), func(ctx context.Context) error {
			return gevent.Go(ctx, func(context.Context) error {
				spinHub(500 * time.Millisecond)
				return nil
			}, gevent.WithName("env-spinner")).Join(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestGEVENTMONITOR$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GEVENT_MONITOR_CHILD=1", "GEVENT_MONITOR=50ms")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, want := range []string{"gevent: greenlet holds the hub without a switch", "greenlet=env-spinner", "gevent_test.spinHub", "gevent: hub hold ended"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}
