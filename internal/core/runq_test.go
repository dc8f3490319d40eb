package core

import (
	"context"
	"testing"
	"time"
)

// TestRunQueueSegmentsKeepOrder: a burst several times segmentMin, of
// starts, posted functions and link notifications queued in turn, runs in
// the order it was queued, across the segments the queue grew by and
// through drains that end at the switch interval between two segments (a
// drain that returned there with segments left must not let the hub
// sleep). A snapshot counts the tasks of every segment. The queue must
// have grown by segments, or the test proves nothing.
func TestRunQueueSegmentsKeepOrder(t *testing.T) {
	for _, c := range []struct {
		name     string
		interval time.Duration
		sim      bool
	}{{"5ms", 0, false}, {"1ns", time.Nanosecond, false}, {"sim", 0, true}} {
		t.Run(c.name, func(t *testing.T) {
			deadline := failAfter(t, 60*time.Second)
			defer deadline.Stop()
			opts := Options{SwitchInterval: c.interval}
			if c.sim {
				// A simulated hub's ordering hooks see whole batches: its
				// queue grows by copying, in one array.
				opts.Sim = &SimOptions{Schedule: ScheduleFIFO}
			}
			h := NewHub(context.Background(), opts)
			if h.sim != nil && !c.sim {
				t.Skip("a simulated hub keeps one array (GEVENT_SIM_FORCE)")
			}
			const n = 5*segmentMin + 17
			var got, want []int
			segmented := false
			main := spawnG(h, h.Context(), func(g *G) error {
				// Greenlets that end at once, one per link below: a link on a
				// dead greenlet queues its notification, and one
				// notification runs all of a greenlet's links.
				dead := make([]*G, n/3+1)
				for i := range dead {
					dead[i] = spawnG(h, g, func(*G) error { return nil })
				}
				if _, err := Yield(g); err != nil { // they run and end
					return err
				}
				for i := range n {
					want = append(want, i)
					switch i % 3 {
					case 0:
						spawnG(h, g, func(*G) error {
							got = append(got, i)
							return nil
						})
					case 1:
						h.Post(func() { got = append(got, i) })
					case 2:
						dead[i/3].AddLink(&Link{Fn: func() { got = append(got, i) }})
					}
					if i%segmentMin == 0 {
						h.mu.Lock()
						segmented = segmented || len(h.runqFull) > 0
						h.mu.Unlock()
					}
				}
				h.mu.Lock()
				segmented = segmented || len(h.runqFull) > 0
				h.mu.Unlock()
				var snap HubSnapshot
				h.OnHub(g, time.Second, func() { h.Snapshot(&snap) })
				if snap.RunQueue != n {
					t.Errorf("a snapshot counts %d queued tasks, want %d", snap.RunQueue, n)
				}
				for len(got) < n {
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
			if segmented == c.sim {
				t.Fatalf("segments: %v on a hub simulated: %v", segmented, c.sim)
			}
			if len(got) != len(want) {
				t.Fatalf("%d tasks ran, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("task %d ran in place %d: the order broke across segments", got[i], i)
				}
			}
		})
	}
}
