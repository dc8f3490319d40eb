package pool_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/pool"
)

// Ported from test__greenletset.py test_kill_noblock: kill(block=False) of
// members that have not started yet kills them without switching, so they
// are still members when it returns, and leave at the next switch.
func TestGroupKillNoBlockUnstarted(t *testing.T) {
	run(t, func(ctx context.Context) error {
		for _, kind := range []string{"Group", "Pool"} {
			var s pool.Spawner = &pool.Group{}
			if kind == "Pool" {
				s = pool.NewPool(2)
			}
			a, _ := s.Spawn(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
			b, _ := s.Spawn(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
			ran := false
			gevent.Go(ctx, func(context.Context) error { ran = true; return nil })
			done, cancel := context.WithCancel(ctx)
			cancel()
			killer := s.(interface {
				Kill(context.Context, ...gevent.KillOption)
				Len() int
			})
			killer.Kill(done)
			if ran {
				return fmt.Errorf("%s: Kill with a done ctx switched", kind)
			}
			if !a.Dead() || !b.Dead() || killer.Len() != 2 {
				return fmt.Errorf("%s: right after Kill with a done ctx: dead %v %v, Len() = %d; want true true 2",
					kind, a.Dead(), b.Dead(), killer.Len())
			}
			if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
			if n := killer.Len(); n != 0 {
				return fmt.Errorf("%s: Len() after a switch = %d, want 0", kind, n)
			}
		}
		// KillOne(g, block=False) likewise.
		var g pool.Group
		a, _ := g.Spawn(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		done, cancel := context.WithCancel(ctx)
		cancel()
		g.KillOne(done, a)
		if !a.Dead() || g.Len() != 1 {
			return fmt.Errorf("right after KillOne with a done ctx: dead %v, Len() = %d; want true 1", a.Dead(), g.Len())
		}
		if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
		if n := g.Len(); n != 0 {
			return fmt.Errorf("Len() after KillOne and a switch = %d, want 0", n)
		}
		return nil
	})
}
