package sim_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/sim"
)

// A simulated hour takes milliseconds: virtual time jumps to the next timer
// whenever every greenlet waits.
func ExampleRun() {
	r, err := sim.Run(context.Background(), sim.Options{Seed: 1}, func(ctx context.Context) error {
		for i := 0; i < 60; i++ {
			if err := gevent.Sleep(ctx, time.Minute); err != nil {
				return err
			}
		}
		fmt.Println(gevent.Now(ctx).Format(time.TimeOnly), sim.Elapsed(ctx))
		return nil
	})
	fmt.Println(err, r.Elapsed)
	// Output:
	// 01:00:00 1h0m0s
	// <nil> 1h0m0s
}

// The same seed replays the same run: here four greenlets race to be first
// under a shuffled schedule; each seed picks a winner, and running a seed
// again gives the same winner and the same trace hash.
func ExampleRun_replay() {
	var winner string
	race := func(ctx context.Context) error {
		winner = ""
		for _, name := range []string{"a", "b", "c", "d"} {
			gevent.Go(ctx, func(ctx context.Context) error {
				if winner == "" {
					winner = name
				}
				return nil
			})
		}
		return gevent.Sleep(ctx, time.Millisecond)
	}
	for _, seed := range []uint64{1, 2, 3, 1} {
		o := sim.Options{Seed: seed, Schedule: sim.Shuffle}
		r1, _ := sim.Run(context.Background(), o, race)
		w1 := winner
		r2, _ := sim.Run(context.Background(), o, race)
		fmt.Println(seed, w1, winner, r1.Hash == r2.Hash)
	}
	// Output:
	// 1 d d true
	// 2 b b true
	// 3 b b true
	// 1 d d true
}
