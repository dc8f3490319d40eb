package geventtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/sim"
)

func TestSim(t *testing.T) {
	t.Setenv("GEVENT_SIM_SEED", "") // this test counts its own seeds
	t.Setenv("GEVENT_SIM_SEEDS", "")
	var seeds []uint64
	geventtest.Sim(t, func(ctx context.Context) error {
		if !sim.Enabled(ctx) {
			return fmt.Errorf("not a simulation")
		}
		seeds = append(seeds, sim.Rand(ctx).Uint64())
		if err := gevent.Sleep(ctx, time.Hour); err != nil {
			return err
		}
		if sim.Elapsed(ctx) != time.Hour {
			return fmt.Errorf("elapsed %v", sim.Elapsed(ctx))
		}
		return nil
	}, sim.Seeds(7))
	if len(seeds) != 7 || seeds[0] == seeds[1] {
		t.Fatalf("ran %d seeds (%v), want 7 distinct", len(seeds), seeds)
	}
}
