package queue_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/queue"
)

// TestStress runs putters and getters on two hubs and on plain goroutines
// against one queue, with random timeouts on both sides and kills of parked
// greenlets, and checks that the items received are exactly the items whose
// Put succeeded: none lost, none duplicated, none delivered from a Put that
// failed.
func TestStress(t *testing.T) {
	tests := []struct {
		name string
		make func() intQueue
	}{
		{"Queue", func() intQueue { return queue.New[int](3) }},
		{"LifoQueue", func() intQueue { return queue.NewLifo[int](2) }},
		{"PriorityQueue", func() intQueue { return queue.NewOrdered[int](4) }},
		{"Channel", func() intQueue { return new(queue.Channel[int]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { stress(t, tt.make()) })
	}
}

func stress(t *testing.T, q intQueue) {
	const (
		hubs       = 2
		greenlets  = 3 // putters, and as many getters, per hub
		goroutines = 2 // putters, and as many getters
		per        = 200
	)
	quiet := gevent.WithErrorHandler(func(gevent.Task, error) {})
	hs := make([]*gevent.Hub, hubs)
	var served sync.WaitGroup
	for i := range hs {
		hs[i] = gevent.NewHub(quiet)
		served.Go(func() { hs[i].Serve(context.Background()) })
	}
	defer func() {
		for _, h := range hs {
			h.Stop()
		}
		served.Wait()
	}()

	// Each worker owns one slot; the test reads them after joining it.
	nput := hubs*greenlets + goroutines
	put := make([][]int, nput)
	got := make([][]int, nput)

	// timeout returns a random bound for one call: none half of the time.
	timeout := func(ctx context.Context, rng *rand.Rand, inHub bool) (context.Context, context.CancelFunc) {
		if rng.IntN(2) == 0 {
			return ctx, func() {}
		}
		d := time.Duration(rng.IntN(200)) * time.Microsecond
		if inHub {
			return gevent.WithTimeout(ctx, d)
		}
		return context.WithTimeout(ctx, d)
	}
	putter := func(w int, inHub bool) func(ctx context.Context) (int, error) {
		return func(ctx context.Context) (int, error) {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for k := range per {
				v := w*per + k
				cctx, cancel := timeout(ctx, rng, inHub)
				err := q.Put(cctx, v)
				cancel()
				switch {
				case err == nil:
					put[w] = append(put[w], v)
				case errors.Is(err, context.DeadlineExceeded):
				default:
					return 0, err // killed
				}
			}
			return 0, nil
		}
	}
	getter := func(w int, inHub bool) func(ctx context.Context) (int, error) {
		return func(ctx context.Context) (int, error) {
			rng := rand.New(rand.NewPCG(uint64(w), 2))
			for ctx.Err() == nil {
				cctx, cancel := timeout(ctx, rng, inHub)
				v, err := q.Get(cctx)
				cancel()
				switch {
				case err == nil:
					got[w] = append(got[w], v)
				case errors.Is(err, context.DeadlineExceeded):
				default:
					return 0, err // killed or shut down
				}
			}
			return 0, ctx.Err()
		}
	}

	var putters, getters []gevent.Task
	for h, hub := range hs {
		for i := range greenlets {
			w := h*greenlets + i
			putters = append(putters, gevent.Spawn(hub.Context(), putter(w, true)))
			getters = append(getters, gevent.Spawn(hub.Context(), getter(w, true)))
		}
	}
	var putWG, getWG sync.WaitGroup
	for i := range goroutines {
		w := hubs*greenlets + i
		putWG.Go(func() { putter(w, false)(context.Background()) })
		getWG.Go(func() { getter(w, false)(context.Background()) })
	}
	// On each hub, kill one putter and one getter at a random moment
	// (often while they are parked).
	for h, hub := range hs {
		gevent.SpawnRaw(hub.Context(), func(ctx context.Context) {
			gevent.Sleep(ctx, time.Duration(rand.IntN(2000))*time.Microsecond)
			gevent.Kill(context.Background(), putters[h*greenlets])
			gevent.Kill(context.Background(), getters[h*greenlets])
		})
	}

	bg := context.Background()
	for _, p := range putters {
		p.Join(bg)
	}
	putWG.Wait()
	q.Shutdown(false) // getters drain what is left, then end
	for _, g := range getters {
		g.Join(bg)
	}
	getWG.Wait()
	var left []int
	for v, ok := q.TryGet(); ok; v, ok = q.TryGet() {
		left = append(left, v)
	}

	wantAll := slices.Sorted(slices.Values(slices.Concat(put...)))
	gotAll := slices.Sorted(slices.Values(slices.Concat(slices.Concat(got...), left)))
	if !slices.Equal(gotAll, wantAll) {
		t.Errorf("received %d items, %d Puts succeeded: lost or duplicated items", len(gotAll), len(wantAll))
		for _, v := range wantAll {
			if _, found := slices.BinarySearch(gotAll, v); !found {
				t.Errorf("lost %d", v)
				break
			}
		}
	}
	if len(wantAll) == 0 {
		t.Errorf("no Put succeeded")
	}
	t.Logf("%d items through, %d left at shutdown", len(wantAll), len(left))
}
