package sim

import (
	"context"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
)

// BenchmarkSimHourOfTimeouts: one op is one virtual hour made of 3,600
// sequential 1 s gevent.WithTimeout waits on an Event never set (budget:
// < 100 ms wall per op).
func BenchmarkSimHourOfTimeouts(b *testing.B) {
	for b.Loop() {
		r, err := Run(b.Context(), Options{}, func(ctx context.Context) error {
			var never event.Event
			for i := 0; i < 3600; i++ {
				tctx, cancel := gevent.WithTimeout(ctx, time.Second)
				never.Wait(tctx)
				cancel()
			}
			return nil
		})
		if err != nil || r.Elapsed != time.Hour {
			b.Fatalf("%v after %v", err, r.Elapsed)
		}
	}
}

// BenchmarkSimHourOfSleepsUnderTimeouts: one op is one virtual hour of 100
// greenlets each doing 36 × (Sleep 50 s under a 100 s timeout, then the
// timeout's expiry).
func BenchmarkSimHourOfSleepsUnderTimeouts(b *testing.B) {
	for b.Loop() {
		r, err := Run(b.Context(), Options{}, func(ctx context.Context) error {
			var gs []*gevent.Greenlet[struct{}]
			for g := 0; g < 100; g++ {
				gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
					var never event.Event
					for i := 0; i < 36; i++ {
						tctx, cancel := gevent.WithTimeout(ctx, 100*time.Second)
						gevent.Sleep(tctx, 50*time.Second)
						never.Wait(tctx)
						cancel()
					}
					return nil
				}))
			}
			for _, g := range gs {
				g.Join(ctx)
			}
			return nil
		})
		if err != nil || r.Elapsed != time.Hour {
			b.Fatalf("%v after %v", err, r.Elapsed)
		}
	}
}

// BenchmarkSimSteps measures simulated steps per second (budget: ≥ 1M):
// ten greenlets yielding to each other, every switch a recorded step.
func BenchmarkSimSteps(b *testing.B) {
	var steps uint64
	for b.Loop() {
		r, err := Run(b.Context(), Options{Schedule: PerSource}, func(ctx context.Context) error {
			for g := 0; g < 10; g++ {
				gevent.Go(ctx, func(ctx context.Context) error {
					for i := 0; i < 1000; i++ {
						if err := gevent.Yield(ctx); err != nil {
							return err
						}
					}
					return nil
				})
			}
			return gevent.Sleep(ctx, time.Second)
		})
		if err != nil {
			b.Fatal(err)
		}
		steps += r.Steps
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
}

// BenchmarkSimSeeds1000x2: one op is seeds 1–1000 of the reference program,
// each run twice with the hashes compared (budget: < 5 s per op).
func BenchmarkSimSeeds1000x2(b *testing.B) {
	for b.Loop() {
		for seed := uint64(1); seed <= 1000; seed++ {
			o := Options{Seed: seed, Schedule: PerSource}
			r1, err1 := Run(b.Context(), o, refProgram(nil))
			r2, err2 := Run(b.Context(), o, refProgram(nil))
			if err1 != nil || err2 != nil || r1.Hash != r2.Hash {
				b.Fatalf("seed %d: %v %v %v %v", seed, r1, err1, r2, err2)
			}
		}
	}
}
