package debug

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// Stall is one event of a hub's stall monitor (gevent.WithStallMonitor): a
// greenlet or callback that held the hub past the monitor's threshold
// without a switch point (Ended false, reported while it held), or the end
// of such a hold, with its whole duration.
type Stall struct {
	Hub   string    `json:"hub"`
	HubID uint64    `json:"hub_id"`
	At    time.Time `json:"at"`
	// Held is how long the hub had been held at the report (at least that
	// long), or, for an end, the whole hold (within one monitor tick).
	Held  time.Duration `json:"held_ns"`
	Ended bool          `json:"ended"`
	// Greenlet, ID and Func name the holder; Greenlet is "" when a callback
	// held the hub (Callback) or the holder was not identified.
	Greenlet string `json:"greenlet,omitempty"`
	ID       int    `json:"id"`
	Func     string `json:"func,omitempty"`
	Callback bool   `json:"callback,omitempty"`
	// Stack is the holder's live stack at the report ("" for an end).
	Stack string `json:"stack,omitempty"`
}

// RecentStalls returns the last events (up to 64 a hub) of the stall
// monitors of every hub of the process, hub by hub in creation order,
// oldest first.
func RecentStalls() []Stall { return recentStalls(core.Hubs()) }

func recentStalls(hubs []*core.Hub) []Stall {
	var out []Stall
	for _, h := range hubs {
		for _, e := range h.RecentStalls() {
			out = append(out, Stall{
				Hub: h.Name(), HubID: h.ID(), At: e.At, Held: e.Held, Ended: e.Ended,
				Greenlet: e.Name, ID: e.ID, Func: e.Func, Callback: e.Callback, Stack: e.Stack,
			})
		}
	}
	return out
}

// String describes the event in one line (without the stack).
func (s Stall) String() string {
	who := "an unidentified greenlet"
	switch {
	case s.Greenlet != "":
		who = fmt.Sprintf("%s #%d", s.Greenlet, s.ID)
		if s.Func != "" {
			who += " [" + s.Func + "]"
		}
	case s.Callback:
		who = "a callback"
	}
	what := "has held the hub without a switch for"
	if s.Ended {
		what = "held the hub for"
	}
	return fmt.Sprintf("%s hub %s #%d: %s %s %v", s.At.UTC().Format(time.RFC3339Nano), s.Hub, s.HubID, who, what, s.Held)
}

// serveStalls is the handler's stalls page: RecentStalls as text (one line
// an event, the holder's stack indented under each report) or JSON.
func serveStalls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	hubs := core.Hubs()
	if want := q["hub"]; len(want) > 0 {
		hubs = selectHubs(hubs, want)
	}
	stalls := recentStalls(hubs)
	switch f := q.Get("format"); f {
	case "", "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		var b strings.Builder
		b.WriteString(strconv.Itoa(len(stalls)) + " stall events\n")
		for _, s := range stalls {
			b.WriteString(s.String())
			b.WriteByte('\n')
			if s.Stack != "" {
				for _, l := range strings.Split(strings.TrimRight(s.Stack, "\n"), "\n") {
					b.WriteString("\t" + l + "\n")
				}
			}
		}
		w.Write([]byte(b.String()))
	case "json":
		w.Header().Set("Content-Type", "application/json")
		if stalls == nil {
			stalls = []Stall{}
		}
		json.NewEncoder(w).Encode(stalls)
	default:
		http.Error(w, "gevent/debug: unknown format "+f+" (text or json)", http.StatusBadRequest)
	}
}

// nameHolder names what holds a hub that did not respond, from one
// goroutine dump: "worker #3 in time.Sleep", "a callback in main.tick";
// when the hub's stall monitor reported the hold, for how long. "" when
// nothing can be said (the hub is not held, or not served).
func nameHolder(h *core.Hub) string {
	g, callback, stack := h.HeldBy()
	var who string
	switch {
	case g != nil:
		who = g.Name() + " #" + strconv.Itoa(g.ID())
	case callback:
		who = "a callback"
	}
	if who == "" {
		return ""
	}
	if f := topFunction(stack); f != "" {
		who += " in " + f
	}
	if evs := h.RecentStalls(); len(evs) > 0 && !evs[len(evs)-1].Ended {
		who += ", reported by the stall monitor after " + evs[len(evs)-1].Held.String()
	}
	return who
}

// topFunction is the function of the first frame of a goroutine's block
// ("goroutine 7 [sleep]:\ntime.Sleep(0x3b9aca00)\n\t/usr/...") that is not
// the runtime's or an atomic operation's (inlined into a spinning loop, they
// say nothing of what it is doing).
func topFunction(block string) string {
	lines := strings.Split(block, "\n")
	for _, line := range lines[min(1, len(lines)):] {
		if line == "" || line[0] == '\t' || strings.HasPrefix(line, "created by ") {
			continue
		}
		if i := strings.LastIndexByte(line, '('); i > 0 {
			line = line[:i]
		}
		if strings.HasPrefix(line, "runtime.") || strings.HasPrefix(line, "sync/atomic.") || strings.HasPrefix(line, "internal/") {
			continue
		}
		return line[strings.LastIndex(line, "/")+1:]
	}
	return ""
}
