package pool_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/pool"
)

// runGroup runs main over a group of n hubs, bounded by a deadline.
func runGroup(t *testing.T, n int, main func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := gevent.RunGroup(ctx, n, main, quiet()); err != nil {
		t.Fatalf("RunGroup: %v", err)
	}
}

// A Pool spawning with a spreading context places its members on every hub
// of the group, and its bound holds across them: a Pool of 10 over 2 hubs
// runs at most 10 at once in total. Map over it keeps the input order.
func TestPoolBoundAcrossHubGroup(t *testing.T) {
	runGroup(t, 2, func(ctx context.Context) error {
		sctx := gevent.Spread(ctx)
		p := pool.NewPool(10)
		var running, peak atomic.Int32
		var mu sync.Mutex
		perHub := map[int]int{}
		work := func(ctx context.Context) error {
			n := running.Add(1)
			for m := peak.Load(); n > m && !peak.CompareAndSwap(m, n); m = peak.Load() {
			}
			mu.Lock()
			perHub[gevent.HubIndex(ctx)]++
			mu.Unlock()
			err := gevent.Sleep(ctx, time.Millisecond)
			running.Add(-1)
			return err
		}
		for range 60 {
			if _, err := p.Spawn(sctx, work); err != nil {
				return err
			}
			if p.Len() > 10 {
				t.Errorf("pool of 10 has %d members", p.Len())
			}
		}
		if err := p.Join(ctx, pool.RaiseError()); err != nil {
			return err
		}
		if got := peak.Load(); got > 10 || got < 2 {
			t.Errorf("at most %d ran at once across the hubs, want 2..10", got)
		}
		if perHub[0] == 0 || perHub[1] == 0 {
			t.Errorf("members per hub %v, want both hubs", perHub)
		}

		out, err := pool.Map(sctx, p, slices.Values([]int{1, 2, 3, 4, 5, 6, 7, 8}), func(ctx context.Context, v int) ([2]int, error) {
			return [2]int{v * v, gevent.HubIndex(ctx)}, gevent.Yield(ctx)
		})
		if err != nil {
			return err
		}
		hubs := map[int]bool{}
		for i, o := range out {
			if o[0] != (i+1)*(i+1) {
				t.Errorf("Map result %d = %d", i, o[0])
			}
			hubs[o[1]] = true
		}
		if len(hubs) != 2 {
			t.Errorf("Map ran on hubs %v, want both", hubs)
		}
		return nil
	})
}
