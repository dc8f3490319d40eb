package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// TestHandoffYieldLoopLetsTimersRun: greenlets that only yield, handing the
// drain to each other (or to themselves), still end the pass at the switch
// interval, so that a timer fires. A regression hangs until failAfter.
func TestHandoffYieldLoopLetsTimersRun(t *testing.T) {
	for _, yielders := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(yielders), func(t *testing.T) {
			deadline := failAfter(t, 20*time.Second)
			defer deadline.Stop()
			h := NewHub(context.Background(), Options{})
			var fired atomic.Bool
			var yields atomic.Int64
			main := spawnG(h, h.Context(), func(g *G) error {
				gs := make([]*G, yielders)
				for i := range gs {
					gs[i] = spawnG(h, g, func(g *G) error {
						for !fired.Load() {
							yields.Add(1)
							if _, err := Yield(g); err != nil {
								return err
							}
						}
						return nil
					})
				}
				spawnG(h, g, func(g *G) error {
					err := h.Sleep(g, g, time.Millisecond)
					fired.Store(true)
					return err
				})
				for _, y := range gs {
					if err := y.Join(g); err != nil {
						return err
					}
				}
				return nil
			})
			h.Serve(context.Background(), main)
			if err := main.Result(); err != nil {
				t.Fatal(err)
			}
			if yields.Load() == 0 {
				t.Fatal("nothing yielded")
			}
		})
	}
}

// TestHandoffKeepsOrder runs one program of yields, wake-ups, spawns and
// failures on a hub that hands its drain to parking greenlets and on one
// that never does: everything happens in the same order on both, and the
// failures are reported on the hub's own goroutine.
func TestHandoffKeepsOrder(t *testing.T) {
	run := func(handoff bool) []string {
		deadline := failAfter(t, 20*time.Second)
		defer deadline.Stop()
		var log []string
		var h *Hub
		h = NewHub(context.Background(), Options{ErrorHandler: func(g *G, err error) {
			if goid() != h.loopGoid {
				t.Errorf("%v reported off the hub's goroutine", err)
			}
			log = append(log, "report "+err.Error())
		}})
		h.noHandoff = h.noHandoff || !handoff // never on a simulated hub (GEVENT_SIM_FORCE)
		errFail := errors.New("fail")
		var u WaitList // parked greenlets, woken one at a time
		main := spawnG(h, h.Context(), func(g *G) error {
			var all []*G
			for k := range 4 {
				all = append(all, spawnG(h, g, func(g *G) error {
					for i := range 12 {
						log = append(log, fmt.Sprintf("%d:%d", k, i))
						switch (k*7 + i) % 5 {
						case 0:
							spawnG(h, g, func(*G) error {
								log = append(log, fmt.Sprintf("child %d:%d", k, i))
								if i%2 == 0 {
									return fmt.Errorf("%w %d:%d", errFail, k, i)
								}
								return nil
							})
						case 1, 2:
							w := &g.waits().w
							w.begin()
							u.PushBack(w)
							if err := w.Block(g); err != nil {
								return err
							}
						}
						if w := u.PopFront(); w != nil {
							w.Wake()
						}
						if _, err := Yield(g); err != nil {
							return err
						}
					}
					return nil
				}))
			}
			for _, c := range all {
				for !c.Dead() {
					// Drain the list too: the last parked waits
					// have nobody left to wake them.
					if w := u.PopFront(); w != nil {
						w.Wake()
					}
					if _, err := Yield(g); err != nil {
						return err
					}
				}
			}
			return nil
		})
		h.Serve(context.Background(), main)
		if err := main.Result(); err != nil {
			t.Fatal(err)
		}
		return log
	}
	with, without := run(true), run(false)
	if len(with) < 48 {
		t.Fatalf("short log: %q", with)
	}
	if !slices.Equal(with, without) {
		t.Errorf("handoff changed the order:\nwith:    %q\nwithout: %q", with, without)
	}
}
