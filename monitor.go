package gevent

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// WithStallMonitor watches the hub from a goroutine of its own and reports
// each time one greenlet, or one hub callback, runs longer than threshold
// without reaching a switch point (gevent's max_blocking_time monitor): a
// time.Sleep, a CPU-bound loop or a blocking system call in a greenlet
// freezes every greenlet of its hub. The report comes within threshold plus
// one tick of the hold's start, names the greenlet (name, id, function,
// spawn stack when recorded) and shows its live stack; a second event, when
// the hold ends, gives its duration. By default both go to log/slog at Warn
// level (MonitorReport replaces that); the hub keeps the last 64 for the
// debug package.
//
// The monitor costs the hub one atomic load per switch and nothing else;
// naming the holder takes one goroutine dump (which stops the world briefly)
// per reported hold. threshold <= 0 turns the monitor off, also when the
// GEVENT_MONITOR environment variable (a duration, such as "100ms") turns
// it on for every hub. A greenlet that spins on the CPU with GOMAXPROCS=1
// is reported late by Go's preemption delay (10–20ms): no in-process
// monitor can run before the runtime preempts it.
func WithStallMonitor(threshold time.Duration, opts ...MonitorOption) HubOption {
	cfg := core.MonitorConfig{Threshold: max(threshold, 0)}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&cfg)
		}
	}
	if cfg.Threshold > 0 && cfg.Report == nil {
		cfg.Report = logStall
	}
	return HubOption{func(o *core.Options) { o.Monitor = cfg }}
}

// MonitorOption configures WithStallMonitor. The zero MonitorOption
// configures nothing.
type MonitorOption struct {
	apply func(*core.MonitorConfig)
}

// MonitorTick sets how often the monitor looks at the hub (default: a tenth
// of the threshold, at least 1ms): the report comes at most one tick after
// the threshold.
func MonitorTick(d time.Duration) MonitorOption {
	if d <= 0 {
		panic("gevent: MonitorTick: tick must be positive")
	}
	return MonitorOption{func(c *core.MonitorConfig) { c.Tick = d }}
}

// MonitorReport replaces the default report (log/slog at Warn): f receives
// every event on the monitor's goroutine, a detection first and then the
// end of the same hold. f must not block for long: the next report waits
// for it, and so does the hub's close (the return of Run or Serve), which
// delivers the end of every reported hold first: an f that never returns
// keeps Run from returning.
func MonitorReport(f func(StallEvent)) MonitorOption {
	if f == nil {
		panic("gevent: MonitorReport: nil f")
	}
	return MonitorOption{func(c *core.MonitorConfig) {
		c.Report = func(e core.StallEvent) { f(stallEventOf(e)) }
	}}
}

// MonitorStackLimit sets the number of goroutines (default 10,000) above
// which the monitor takes no goroutine dump, since a dump stops the world
// for time proportional to their number (every parked greenlet is one):
// the detection then has no stack and no greenlet, and the end event names
// the greenlet. Negative: never dump.
func MonitorStackLimit(goroutines int) MonitorOption {
	if goroutines == 0 {
		goroutines = core.DefaultStackLimit
	}
	return MonitorOption{func(c *core.MonitorConfig) { c.StackLimit = goroutines }}
}

// StallEvent describes one hold of a hub found by its stall monitor: its
// detection (Ended false) or its end.
type StallEvent struct {
	// Task is the greenlet that held the hub; nil when a callback held it
	// (Callback), for a SpawnRaw greenlet, or when it was not identified
	// at detection (see MonitorStackLimit).
	Task Task
	// Callback says a hub callback (a link, a timer or posted function,
	// an OnReady callback) held the hub rather than a greenlet.
	Callback bool
	// Name and ID are the greenlet's (also for a SpawnRaw greenlet); Func
	// names its function when known.
	Name string
	ID   int
	Func string
	// SpawnStack is where the greenlet was spawned, when recorded
	// (WithSpawnStacks, WithSpawnStack).
	SpawnStack []runtime.Frame
	// Held is how long the hub had been held at detection (at least that
	// long), or the whole hold at its end (within one tick).
	Held time.Duration
	// Ended marks the end of a hold reported before.
	Ended bool
	// Stack is the holder's live stack at detection, as runtime.Stack
	// prints it ("" for an end event, or when no dump was taken).
	Stack string
	// At is when the monitor made the event.
	At time.Time
}

// String describes the event in one line (without the stack).
func (e StallEvent) String() string {
	who := "a hub callback"
	switch {
	case e.Name != "" && e.Func != "":
		who = fmt.Sprintf("greenlet %q (id %d, %s)", e.Name, e.ID, e.Func)
	case e.Name != "":
		who = fmt.Sprintf("greenlet %q (id %d)", e.Name, e.ID)
	case !e.Callback:
		who = "an unidentified greenlet"
	}
	if e.Ended {
		return fmt.Sprintf("gevent: %s held the hub for %v", who, e.Held)
	}
	return fmt.Sprintf("gevent: %s has held the hub for %v without a switch", who, e.Held)
}

// stallEventOf converts the core's event.
func stallEventOf(e core.StallEvent) StallEvent {
	return StallEvent{
		Task:       taskOf(e.G),
		Callback:   e.Callback,
		Name:       e.Name,
		ID:         e.ID,
		Func:       e.Func,
		SpawnStack: spawnFrames(e.SpawnStack),
		Held:       e.Held,
		Ended:      e.Ended,
		Stack:      e.Stack,
		At:         e.At,
	}
}

// spawnFrames resolves a recorded spawn stack, starting at the caller of
// the spawn function (as Greenlet.SpawnStack).
func spawnFrames(stack []uintptr) []runtime.Frame {
	if stack == nil {
		return nil
	}
	frames := runtime.CallersFrames(stack)
	var out []runtime.Frame
	for {
		f, more := frames.Next()
		if len(out) > 0 || !libraryFrame(f.Function) {
			out = append(out, f)
		}
		if !more {
			return out
		}
	}
}

// logStall is the default report: log/slog at Warn, the stack as one
// attribute per line.
func logStall(ce core.StallEvent) {
	e := stallEventOf(ce)
	attrs := []any{"held", e.Held}
	if e.Name != "" {
		attrs = append(attrs, "greenlet", e.Name, "id", e.ID)
		if e.Func != "" {
			attrs = append(attrs, "func", e.Func)
		}
	} else if e.Callback {
		attrs = append(attrs, "callback", true)
	}
	if len(e.SpawnStack) > 0 {
		f := e.SpawnStack[0]
		attrs = append(attrs, "spawned", fmt.Sprintf("%s %s:%d", f.Function, f.File, f.Line))
	}
	if e.Stack != "" {
		lines := strings.Split(strings.TrimSpace(e.Stack), "\n")
		group := make([]any, 0, len(lines))
		for i, l := range lines {
			group = append(group, slog.String(fmt.Sprint(i), strings.TrimSpace(l)))
		}
		attrs = append(attrs, slog.Group("stack", group...))
	}
	if e.Ended {
		slog.Warn("gevent: hub hold ended", attrs...)
	} else {
		slog.Warn("gevent: greenlet holds the hub without a switch", attrs...)
	}
}

// envMonitor is the monitor that GEVENT_MONITOR asks for, read once: the
// zero HubOption when the variable is unset, empty or not a positive
// duration (a malformed value is reported once and ignored).
var envMonitor = sync.OnceValue(func() HubOption {
	s := os.Getenv("GEVENT_MONITOR")
	if s == "" {
		return HubOption{}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		slog.Warn("gevent: GEVENT_MONITOR is not a duration; no stall monitor", "value", s, "err", err)
		return HubOption{}
	}
	if d <= 0 {
		return HubOption{}
	}
	return WithStallMonitor(d)
})
