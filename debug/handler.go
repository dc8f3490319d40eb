package debug

import (
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
//	    ?hub=<name|id>            one hub (repeatable; none matching: a dump of 0 hubs)
//	    ?state=parked             only greenlets in that state (scheduled,
//	                              runnable, running, parked)
//	    ?wait=queue.get           only greenlets in that kind of wait
//	    ?name=worker              only greenlets whose name contains it
//	    ?stacks=1                 whole spawn stacks (hubs WithSpawnStacks)
//	    ?timeout=500ms            how long to wait for each hub (default 1s)
//	GET <prefix>stalls            the recent events of the hubs' stall monitors
//	    ?format=json              JSON (a list of Stall)
//	    ?hub=<name|id>            one hub's (repeatable)
//
// A hub that does not take the snapshot within the timeout (a greenlet that
// never switches holds it) is still answered for, within the timeout, as
// not responding, with what holds it (the greenlet and the function it is
// in, from one goroutine dump). Filters combine (all must hold).
func Handler() http.Handler { return http.HandlerFunc(serve) }

func serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/stalls") {
		serveStalls(w, r)
		return
	}
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
	switch state {
	case "", "scheduled", "runnable", "running", "parked":
	default:
		http.Error(w, "gevent/debug: unknown state "+state+" (scheduled, runnable, running or parked)", http.StatusBadRequest)
		return
	}
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
	switch q.Get("format") {
	case "", "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		writeNow(r.Context(), core.Hubs(), opts, (*Snapshot).WriteText, w)
	case "json":
		w.Header().Set("Content-Type", "application/json")
		writeNow(r.Context(), core.Hubs(), opts, (*Snapshot).WriteJSON, w)
	default:
		http.Error(w, "gevent/debug: unknown format "+q.Get("format")+" (text or json)", http.StatusBadRequest)
	}
}
