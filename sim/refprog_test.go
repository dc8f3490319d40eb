package sim

import (
	"context"
	"errors"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/queue"
)

// refProgram is the reference program of the determinism tests and
// benchmarks: five workers doing read–Yield–write on a shared counter (a
// lost-update race whose final value depends on the interleaving), three
// consumers taking from a bounded queue under 5 ms timeouts and then
// sleeping 5 ms (deadlines equal to the timeouts'), and a producer of 30
// items. The counter and every consumed item are recorded into the hash;
// the final counter is returned through *counter.
func refProgram(counter *int) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		n := 0
		var gs []*gevent.Greenlet[struct{}]
		for w := 0; w < 5; w++ {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				for i := 0; i < 6; i++ {
					v := n
					if (i+w)%3 != 0 { // some increments are atomic, some not
						if err := gevent.Yield(ctx); err != nil {
							return err
						}
					}
					n = v + 1
				}
				return nil
			}))
		}
		q := queue.New[int](4)
		for c := 0; c < 3; c++ {
			gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
				for {
					tctx, cancel := gevent.WithTimeout(ctx, 5*time.Millisecond)
					v, err := q.Get(tctx)
					cancel()
					if errors.Is(err, context.DeadlineExceeded) {
						return nil // the producer is done
					}
					if err != nil {
						return err
					}
					Record(ctx, "got", c, v)
					if err := gevent.Sleep(ctx, 5*time.Millisecond); err != nil {
						return err
					}
				}
			}))
		}
		gs = append(gs, gevent.Go(ctx, func(ctx context.Context) error {
			for i := 0; i < 30; i++ {
				if err := q.Put(ctx, i); err != nil {
					return err
				}
				if i%7 == 0 {
					if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
						return err
					}
				}
			}
			return nil
		}))
		for _, g := range gs {
			if err := g.Join(ctx); err != nil {
				return err
			}
			if err := g.Err(); err != nil {
				return err
			}
		}
		Record(ctx, "counter", n)
		if counter != nil {
			*counter = n
		}
		return nil
	}
}
