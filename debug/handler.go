package debug

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// Handler serves the greenlet dumps of every hub of the process, in the
// manner of net/http/pprof (mount it where you like; nothing is registered
// on import):
//
//	GET <prefix>                  text tree of every hub
//	    ?format=json              JSON (the Snapshot type)
//	    ?hub=<name|id>            one hub (repeatable)
//	    ?state=parked             only greenlets in that state
//	    ?wait=queue.get           only greenlets in that kind of wait
//	    ?name=worker              only greenlets whose name contains it
//	    ?stacks=1                 whole spawn stacks (hubs WithSpawnStacks)
//	    ?timeout=500ms            how long to wait for each hub (default 1s)
//	GET <prefix>stalls            the recent events of each hub's stall
//	                              monitor only (?format=json, ?hub=), read
//	                              without asking the hubs
//
// A hub that does not take the snapshot within the timeout (a greenlet that
// never switches holds it) is still answered for, within the timeout, as
// not responding. Filters combine (all must hold).
func Handler() http.Handler { return http.HandlerFunc(serve) }

func serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts := []Option{}
	if t := q.Get("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			http.Error(w, "gevent/debug: bad timeout "+t, http.StatusBadRequest)
			return
		}
		opts = append(opts, Timeout(d))
	}
	if hubs := q["hub"]; len(hubs) > 0 {
		opts = append(opts, Hubs(hubs...))
	}
	if q.Get("stacks") != "" && q.Get("stacks") != "0" {
		opts = append(opts, SpawnStacks())
	}
	state, kind, name := q.Get("state"), q.Get("wait"), q.Get("name")
	if state != "" || kind != "" || name != "" {
		opts = append(opts, Filter(func(g *Greenlet) bool {
			if state != "" && g.State != state {
				return false
			}
			if kind != "" && (g.Wait == nil || g.Wait.Kind != kind) {
				return false
			}
			return name == "" || strings.Contains(g.Name, name)
		}))
	}
	stalls := strings.HasSuffix(r.URL.Path, "/stalls")
	var s *Snapshot
	if stalls {
		s = stallSnapshot(core.Hubs(), q["hub"])
	} else {
		s = capture(r.Context(), core.Hubs(), opts)
	}
	switch q.Get("format") {
	case "", "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if stalls {
			s.writeStallsText(w)
		} else {
			s.WriteText(w)
		}
	case "json":
		w.Header().Set("Content-Type", "application/json")
		s.WriteJSON(w)
	default:
		http.Error(w, "gevent/debug: unknown format "+q.Get("format")+" (text or json)", http.StatusBadRequest)
	}
}

// stallSnapshot lists the hubs (those named in want, if any) with their
// stall events only: the hubs are not asked (Responded stays false).
func stallSnapshot(hubs []*core.Hub, want []string) *Snapshot {
	if len(want) > 0 {
		hubs = selectHubs(hubs, want)
	}
	s := &Snapshot{Taken: time.Now(), Hubs: make([]Hub, len(hubs))}
	for i, h := range hubs {
		s.Hubs[i] = Hub{ID: h.ID(), Name: h.Name(), Phase: h.Phase(), Stalls: stallsOf(h)}
	}
	return s
}

// writeStallsText writes each hub's stall events.
func (s *Snapshot) writeStallsText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, h := range s.Hubs {
		fmt.Fprintf(bw, "hub %s #%d: %d recent stall events\n", h.Name, h.ID, len(h.Stalls))
		bw.Write(appendStallsText(nil, h.Stalls))
	}
	return bw.Flush()
}
