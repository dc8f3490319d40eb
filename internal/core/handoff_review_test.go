package core

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// runRandomProgram runs one program, drawn from seed, of greenlets that
// yield, sleep 0, park on a shared list and wake each other, spawn children
// (some failing, some killed before they start), join them, kill each other,
// link callbacks to each other and post callbacks; it returns the log of
// everything that happened, in order. The draws of each greenlet depend on
// the seed and the greenlet only, never on the order they run in, so the
// handoff must not change the log.
func runRandomProgram(t *testing.T, seed uint64, handoff bool) []string {
	deadline := failAfter(t, 20*time.Second)
	defer deadline.Stop()
	var log []string
	logf := func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }
	var h *Hub
	h = NewHub(context.Background(), Options{ErrorHandler: func(g *G, err error) {
		if goid() != h.loopGoid {
			t.Errorf("%v reported off the hub's goroutine", err)
		}
		logf("report %v", err)
	}})
	h.noHandoff = h.noHandoff || !handoff // never on a simulated hub
	errFail := errors.New("fail")
	var u WaitList
	var workers []*G
	main := spawnG(h, h.Context(), func(m *G) error {
		n := 2 + int(seed%4)
		for k := range n {
			r := rand.New(rand.NewPCG(seed, uint64(k)))
			workers = append(workers, spawnG(h, m, func(g *G) error {
				var kids []*G
				for i := range 20 {
					logf("%d:%d", k, i)
					switch op := r.IntN(11); op {
					case 0:
						if _, err := Yield(g); err != nil {
							return err
						}
					case 1:
						if err := h.Sleep(g, g, 0); err != nil {
							return err
						}
					case 2:
						if err := YieldCall(g, "review"); err != nil {
							return err
						}
					case 3:
						w := &g.waits().w
						w.begin()
						u.PushBack(w)
						if err := w.Block(g); err != nil {
							logf("%d:%d block %v", k, i, err)
							return err
						}
					case 4, 5:
						fail := r.IntN(3)
						yields := r.IntN(3)
						c := spawnG(h, g, func(c *G) error {
							logf("child %d:%d", k, i)
							for range yields {
								if _, err := Yield(c); err != nil {
									return err
								}
							}
							if fail == 0 {
								return fmt.Errorf("%w %d:%d", errFail, k, i)
							}
							return nil
						})
						kids = append(kids, c)
						if r.IntN(4) == 0 {
							c.Kill(fmt.Errorf("kill unstarted %d:%d", k, i))
						}
						c.AddLink(&Link{Fn: func() { logf("link child %d:%d %v", k, i, c.Result()) }})
					case 6:
						if len(kids) > 0 {
							c := kids[r.IntN(len(kids))]
							logf("%d:%d join %v", k, i, c.Join(g))
						}
					case 7:
						j := r.IntN(n)
						if j < len(workers) && workers[j] != g && r.IntN(6) == 0 {
							var cause error = ErrGreenletExit
							if r.IntN(2) == 0 {
								cause = fmt.Errorf("kill %d by %d:%d", j, k, i)
							}
							workers[j].Kill(cause)
						}
					case 8:
						h.Post(func() { logf("post %d:%d", k, i) })
					case 9:
						if w := u.PopFront(); w != nil {
							logf("%d:%d wake %v", k, i, w.Wake())
						}
					case 10:
						j := r.IntN(n)
						if j < len(workers) {
							workers[j].AddLink(&Link{Fn: func() { logf("link %d from %d:%d", j, k, i) }})
						}
					}
				}
				return nil
			}))
			if _, err := Yield(m); err != nil {
				return err
			}
		}
		for _, c := range workers {
			for !c.Dead() {
				if w := u.PopFront(); w != nil {
					w.Wake()
				}
				if _, err := Yield(m); err != nil {
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
	for k, w := range workers {
		logf("end %d %v", k, w.Result())
	}
	return log
}

// TestHandoffRandomProgramsKeepOrder compares, for many programs, the log of
// a hub that hands its drain to parking greenlets with a hub that never does.
func TestHandoffRandomProgramsKeepOrder(t *testing.T) {
	for seed := range uint64(200) {
		with, without := runRandomProgram(t, seed, true), runRandomProgram(t, seed, false)
		if len(with) < 20 {
			t.Fatalf("seed %d: short log %q", seed, with)
		}
		if !slices.Equal(with, without) {
			i := 0
			for i < min(len(with), len(without)) && with[i] == without[i] {
				i++
			}
			t.Fatalf("seed %d: handoff changed the order at %d:\nwith:    %q\nwithout: %q", seed, i,
				with[max(0, i-3):min(len(with), i+5)], without[max(0, i-3):min(len(without), i+5)])
		}
	}
}

// TestHandoffGoexitEndsTheHander pins what doc.go says of runtime.Goexit in
// a greenlet resumed by another's handoff: it ends that greenlet too, with
// the same error, and then the hub's goroutine.
func TestHandoffGoexitEndsTheHander(t *testing.T) {
	deadline := failAfter(t, 20*time.Second)
	defer deadline.Stop()
	h := NewHub(context.Background(), Options{ErrorHandler: func(*G, error) {}})
	if h.noHandoff {
		t.Skip("a simulated hub (GEVENT_SIM_FORCE) never hands off")
	}
	var b *G
	var handed bool
	a := spawnG(h, h.Context(), func(a *G) error {
		b = spawnG(h, a, func(*G) error {
			handed = h.current != nil && h.handing == nil && goid() != h.loopGoid
			runtime.Goexit()
			return nil
		})
		_, err := Yield(a) // hands the drain to b
		return err
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Serve(context.Background(), a)
	}()
	<-done
	if !handed {
		t.Fatal("b was not resumed by a's handoff")
	}
	if err := b.Result(); !errors.Is(err, errGoexit) {
		t.Errorf("b ended with %v, want errGoexit", err)
	}
	if err := a.Result(); !errors.Is(err, errGoexit) {
		t.Errorf("a ended with %v, want errGoexit (doc.go: it ends too, with the same error)", err)
	}
}

// TestHandoffMainEndAndStop: main ending while a parking worker resumed it,
// and Hub.Stop called from a worker that a handoff resumed, stop the hub at
// the same point, with the same kills and links, as without the handoff.
func TestHandoffMainEndAndStop(t *testing.T) {
	run := func(handoff, withMain bool, ends int) []string {
		deadline := failAfter(t, 20*time.Second)
		defer deadline.Stop()
		var log []string
		logf := func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }
		h := NewHub(context.Background(), Options{ErrorHandler: func(g *G, err error) { logf("report %v", err) }})
		h.noHandoff = h.noHandoff || !handoff // never on a simulated hub
		var ws []*G
		worker := func(k int) func(g *G) error {
			return func(g *G) error {
				for i := 0; ; i++ {
					logf("w%d:%d", k, i)
					if !withMain && k == 1 && i == ends {
						h.Stop()
					}
					if _, err := Yield(g); err != nil {
						return err
					}
					if err := Cause(g); err != nil {
						logf("w%d cancelled %v", k, err)
						return err
					}
				}
			}
		}
		for k := range 3 {
			ws = append(ws, spawnG(h, h.Context(), worker(k)))
			ws[k].AddLink(&Link{Fn: func() { logf("link w%d %v", k, ws[k].Result()) }})
		}
		var main *G
		if withMain {
			main = spawnG(h, h.Context(), func(m *G) error {
				for i := range ends {
					logf("main:%d", i)
					if _, err := Yield(m); err != nil {
						return err
					}
				}
				return nil
			})
		}
		h.Serve(context.Background(), main)
		for k, w := range ws {
			logf("end w%d %v", k, w.Result())
		}
		return log
	}
	for _, withMain := range []bool{true, false} {
		for ends := range 5 {
			with, without := run(true, withMain, ends), run(false, withMain, ends)
			if !slices.Equal(with, without) {
				t.Errorf("main %v, ends %d: handoff changed the order:\nwith:    %q\nwithout: %q", withMain, ends, with, without)
			}
		}
	}
}
