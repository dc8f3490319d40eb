package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
)

// TestTimerTies: timers due at the same instant fire in a seed-dependent
// order under FIFO; timers with different deadlines never swap; a sleep
// fires before a timeout due at the same instant.
func TestTimerTies(t *testing.T) {
	orders := map[string]bool{}
	for seed := uint64(1); seed <= 30; seed++ {
		var order []int
		_, err := Run(t.Context(), Options{Seed: seed}, func(ctx context.Context) error {
			var gs []*gevent.Greenlet[struct{}]
			for i := 0; i < 6; i++ {
				d := time.Second
				if i >= 3 {
					d = 2 * time.Second // a later group: never before the first
				}
				gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
					if err := gevent.Sleep(ctx, d); err != nil {
						return err
					}
					order = append(order, i)
					return nil
				}))
			}
			// A timeout due with the sleeps of the first group.
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				tctx, cancel := gevent.WithTimeout(ctx, time.Second)
				defer cancel()
				var never event.Event
				never.Wait(tctx)
				order = append(order, 9)
				return nil
			}))
			for _, g := range gs {
				if err := g.Join(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(order) != 7 {
			t.Fatalf("seed %d: order %v", seed, order)
		}
		first := slices.Clone(order[:3])
		slices.Sort(first)
		if !slices.Equal(first, []int{0, 1, 2}) || order[3] != 9 {
			t.Fatalf("seed %d: order %v: the 1 s sleeps, then the 1 s timeout, then the 2 s sleeps", seed, order)
		}
		orders[fmt.Sprint(order)] = true
	}
	if len(orders) < 5 {
		t.Fatalf("30 seeds gave %d orders of tied timers: the seed does not choose ties", len(orders))
	}
}

// TestFIFOKeepsSpawnOrder: under FIFO the seed never changes the order of
// greenlets that are not tied timers.
func TestFIFOKeepsSpawnOrder(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		var order []int
		_, err := Run(t.Context(), Options{Seed: seed, StepJitter: time.Microsecond}, func(ctx context.Context) error {
			var gs []*gevent.Greenlet[struct{}]
			for i := 0; i < 5; i++ {
				gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
					for r := 0; r < 3; r++ {
						order = append(order, r*10+i)
						if err := gevent.Yield(ctx); err != nil {
							return err
						}
					}
					return nil
				}))
			}
			for _, g := range gs {
				if err := g.Join(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []int{0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24}
		if !slices.Equal(order, want) {
			t.Fatalf("seed %d: order %v, want gevent's %v", seed, order, want)
		}
	}
}

// TestPerSourceKeepsSourceOrder is a property test over random programs:
// greenlets spawn children and wake waiters of one Event; under PerSource
// the children of one spawner start in spawn order and the waiters of one
// Event resume in wait order, while across sources the order varies.
func TestPerSourceKeepsSourceOrder(t *testing.T) {
	orders := map[string]bool{}
	for seed := uint64(1); seed <= 100; seed++ {
		type start struct{ parent, idx int }
		var starts []start
		var resumed []int
		_, err := Run(t.Context(), Options{Seed: seed, Schedule: PerSource}, func(ctx context.Context) error {
			r := Rand(ctx)
			var ev event.Event
			var gs []*gevent.Greenlet[struct{}]
			nw := 2 + r.IntN(5)
			for w := 0; w < nw; w++ {
				gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
					if err := ev.Wait(ctx); err != nil {
						return err
					}
					resumed = append(resumed, w)
					return nil
				}))
			}
			if err := gevent.Yield(ctx); err != nil { // the waiters wait, in order
				return err
			}
			np := 2 + r.IntN(4)
			for p := 0; p < np; p++ {
				nc := 1 + r.IntN(4)
				gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
					for c := 0; c < nc; c++ {
						gevent.Go(ctx, func(ctx context.Context) error {
							starts = append(starts, start{p, c})
							return nil
						})
						if r.IntN(2) == 0 {
							if err := gevent.Yield(ctx); err != nil {
								return err
							}
						}
					}
					return nil
				}))
			}
			ev.Set()
			for _, g := range gs {
				if err := g.Join(ctx); err != nil {
					return err
				}
			}
			return gevent.Sleep(ctx, time.Millisecond) // the last children run
		})
		if err != nil {
			t.Fatal(err)
		}
		next := map[int]int{}
		for _, s := range starts {
			if s.idx != next[s.parent] {
				t.Fatalf("seed %d: child %d of spawner %d started out of order: %v", seed, s.idx, s.parent, starts)
			}
			next[s.parent]++
		}
		if !slices.IsSorted(resumed) {
			t.Fatalf("seed %d: the waiters of one Event resumed as %v, not in wait order", seed, resumed)
		}
		orders[fmt.Sprint(starts)] = true
	}
	if len(orders) < 10 {
		t.Fatalf("PerSource gave only %d distinct start orders in 100 seeds", len(orders))
	}
}

func TestShufflePermutes(t *testing.T) {
	orders := map[string]bool{}
	for seed := uint64(1); seed <= 30; seed++ {
		var order []int
		_, err := Run(t.Context(), Options{Seed: seed, Schedule: Shuffle}, func(ctx context.Context) error {
			var gs []*gevent.Greenlet[struct{}]
			for i := 0; i < 5; i++ {
				gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
					order = append(order, i)
					return nil
				}))
			}
			for _, g := range gs {
				if err := g.Join(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		orders[fmt.Sprint(order)] = true
	}
	if len(orders) < 10 {
		t.Fatalf("Shuffle gave %d orders of 5 spawns in 30 seeds", len(orders))
	}
}

func TestStepCostAndLimits(t *testing.T) {
	var tasks int
	r, err := Run(t.Context(), Options{StepCost: time.Millisecond, Trace: func(s Step) {
		switch s.Kind {
		case StepRun, StepNotify, StepFunc:
			tasks++
		}
	}}, func(ctx context.Context) error {
		for i := 0; i < 100; i++ {
			if err := gevent.Yield(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Elapsed != time.Duration(tasks)*time.Millisecond || tasks < 100 {
		t.Fatalf("elapsed %v after %d tasks of 1ms", r.Elapsed, tasks)
	}

	_, err = Run(t.Context(), Options{MaxSteps: 1000}, func(ctx context.Context) error {
		for {
			if err := gevent.Yield(ctx); err != nil {
				return err
			}
		}
	})
	if !errors.Is(err, ErrStepLimit) {
		t.Fatalf("endless yields: %v, want ErrStepLimit", err)
	}
	r, err = Run(t.Context(), Options{MaxTime: time.Hour}, func(ctx context.Context) error {
		for {
			if err := gevent.Sleep(ctx, time.Minute); err != nil {
				return err
			}
		}
	})
	if !errors.Is(err, ErrTimeLimit) || r.Elapsed != time.Hour {
		t.Fatalf("endless sleeps: %v at %v, want ErrTimeLimit at 1h", err, r.Elapsed)
	}
}

func TestHelpers(t *testing.T) {
	// Outside a simulation: real behaviour.
	err := gevent.Run(t.Context(), func(ctx context.Context) error {
		if Enabled(ctx) || Elapsed(ctx) != 0 || Buggify(ctx, 1) {
			return errors.New("helpers think a real hub is simulated")
		}
		Record(ctx, "nothing")
		if Rand(ctx) == nil {
			return errors.New("no Rand outside a simulation")
		}
		if d := time.Since(gevent.Now(ctx)); d < 0 || d > time.Hour {
			return fmt.Errorf("gevent.Now on a real hub is %v off", d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	draw := func(seed uint64) (vals []uint64, bugs int) {
		_, err := Run(t.Context(), Options{Seed: seed}, func(ctx context.Context) error {
			if !Enabled(ctx) {
				return errors.New("not Enabled in a simulation")
			}
			if !gevent.Now(ctx).Equal(defaultEpoch) {
				return fmt.Errorf("gevent.Now = %v, want the epoch", gevent.Now(ctx))
			}
			for i := 0; i < 4; i++ {
				vals = append(vals, Rand(ctx).Uint64())
			}
			for i := 0; i < 1000; i++ {
				if Buggify(ctx, 0.1) {
					bugs++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return vals, bugs
	}
	a, ba := draw(7)
	b, bb := draw(7)
	c, _ := draw(8)
	if !slices.Equal(a, b) || ba != bb || slices.Equal(a, c) {
		t.Fatalf("Rand: seed 7 gave %v and %v, seed 8 %v", a, b, c)
	}
	if ba < 50 || ba > 150 {
		t.Fatalf("Buggify(0.1) true %d times in 1000", ba)
	}
	// Record changes the hash.
	h := func(v int) uint64 {
		r, err := Run(t.Context(), Options{}, func(ctx context.Context) error {
			Record(ctx, "v", v)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return r.Hash
	}
	if h1, h1again := h(1), h(1); h1 == h(2) || h1 != h1again {
		t.Fatal("Record does not fold its values into the hash")
	}
}
