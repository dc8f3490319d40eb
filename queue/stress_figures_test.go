package queue_test

import (
	"context"
	"errors"
	"flag"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/queue"
)

var stressRounds = flag.Int("queue.stress.rounds", 1,
	"rounds of TestStressFigures (each runs every queue kind once); raise it for a long stress run")

// stressTally counts what one stress run did; all fields are updated
// atomically by the workers.
type stressTally struct {
	puts, putsOK, gets, getsOK, timeouts, kills, killed atomic.Int64
	lost, duplicated                                    atomic.Int64
}

// TestStressFigures is TestStress with every operation counted, for the
// figures a stress report gives: on two served hubs and on plain goroutines,
// putters and getters run against one queue with random timeouts (hub
// timeouts in greenlets, standard ones in goroutines), while a killer
// greenlet on each hub kills random putters and getters, parked or not, and
// spawns replacements. At the end every item whose Put succeeded must have
// been received exactly once. -queue.stress.rounds=N repeats it.
func TestStressFigures(t *testing.T) {
	kinds := []struct {
		name string
		make func() intQueue
	}{
		{"Queue", func() intQueue { return queue.New[int](3) }},
		{"LifoQueue", func() intQueue { return queue.NewLifo[int](2) }},
		{"PriorityQueue", func() intQueue { return queue.NewOrdered[int](4) }},
		{"Channel", func() intQueue { return new(queue.Channel[int]) }},
	}
	var tally stressTally
	start := time.Now()
	for round := range *stressRounds {
		for _, k := range kinds {
			stressCounted(t, k.make(), uint64(round), &tally)
			if t.Failed() {
				t.Fatalf("round %d, %s failed", round, k.name)
			}
		}
	}
	t.Logf("%d rounds in %v: %d Puts (%d succeeded), %d Gets (%d succeeded), %d timeouts, "+
		"%d kills (%d landed on a live worker), %d items lost, %d duplicated",
		*stressRounds, time.Since(start).Round(time.Millisecond), tally.puts.Load(), tally.putsOK.Load(),
		tally.gets.Load(), tally.getsOK.Load(), tally.timeouts.Load(), tally.kills.Load(), tally.killed.Load(),
		tally.lost.Load(), tally.duplicated.Load())
}

func stressCounted(t *testing.T, q intQueue, seed uint64, tally *stressTally) {
	const (
		hubs      = 2
		greenlets = 3 // putters, and as many getters, per hub (plus replacements)
		routines  = 2 // goroutine putters, and as many getters
		per       = 150
		kills     = 4 // per hub
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

	var (
		mu     sync.Mutex // guards put and got
		put    []int
		got    []int
		nextID atomic.Int64
		putWG  sync.WaitGroup // goroutine putters (greenlets are joined)
		getWG  sync.WaitGroup // goroutine getters
	)
	record := func(list *[]int, v int) {
		mu.Lock()
		*list = append(*list, v)
		mu.Unlock()
	}
	bound := func(ctx context.Context, rng *rand.Rand, inHub bool) (context.Context, context.CancelFunc) {
		if rng.IntN(2) == 0 {
			return ctx, func() {}
		}
		d := time.Duration(rng.IntN(200)) * time.Microsecond
		if inHub {
			return gevent.WithTimeout(ctx, d)
		}
		return context.WithTimeout(ctx, d)
	}
	putter := func(inHub bool) func(ctx context.Context) (int, error) {
		id := nextID.Add(1)
		return func(ctx context.Context) (int, error) {
			rng := rand.New(rand.NewPCG(uint64(id), seed))
			for k := range per {
				v := int(id)*per + k
				c, cancel := bound(ctx, rng, inHub)
				tally.puts.Add(1)
				err := q.Put(c, v)
				cancel()
				switch {
				case err == nil:
					tally.putsOK.Add(1)
					record(&put, v)
				case errors.Is(err, context.DeadlineExceeded):
					tally.timeouts.Add(1)
				default:
					return 0, err // killed
				}
			}
			return 0, nil
		}
	}
	getter := func(inHub bool) func(ctx context.Context) (int, error) {
		id := nextID.Add(1)
		return func(ctx context.Context) (int, error) {
			rng := rand.New(rand.NewPCG(uint64(id), seed))
			for {
				c, cancel := bound(ctx, rng, inHub)
				tally.gets.Add(1)
				v, err := q.Get(c)
				cancel()
				switch {
				case err == nil:
					tally.getsOK.Add(1)
					record(&got, v)
				case errors.Is(err, context.DeadlineExceeded):
					tally.timeouts.Add(1)
				default:
					return 0, err // killed or shut down
				}
			}
		}
	}

	type role struct {
		g      *gevent.Greenlet[int]
		putter bool
	}
	var (
		rmu   sync.Mutex // guards roles
		roles []role
	)
	spawn := func(ctx context.Context, isPutter bool) {
		fn := getter(true)
		if isPutter {
			fn = putter(true)
		}
		g := gevent.Spawn(ctx, fn)
		rmu.Lock()
		roles = append(roles, role{g, isPutter})
		rmu.Unlock()
	}
	for _, h := range hs {
		for range greenlets {
			spawn(h.Context(), true)
			spawn(h.Context(), false)
		}
	}
	for range routines {
		pf, gf := putter(false), getter(false)
		putWG.Go(func() { pf(context.Background()) })
		getWG.Go(func() { gf(context.Background()) })
	}
	// A killer per hub: kills a random worker of its hub at random moments
	// (parked or not) and starts a replacement of the same role.
	var killers sync.WaitGroup
	for i, h := range hs {
		killers.Add(1)
		gevent.SpawnRaw(h.Context(), func(ctx context.Context) {
			defer killers.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			for range kills {
				if gevent.Sleep(ctx, time.Duration(rng.IntN(1500))*time.Microsecond) != nil {
					return
				}
				rmu.Lock()
				r := roles[rng.IntN(len(roles))]
				rmu.Unlock()
				tally.kills.Add(1)
				if !r.g.Dead() {
					tally.killed.Add(1)
				}
				gevent.Kill(context.Background(), r.g)
				spawn(ctx, r.putter)
			}
		})
	}
	killers.Wait()
	// Every putter ends on its own (a greenlet killed before it ran never
	// runs); then Shutdown lets the getters drain the queue and end.
	rmu.Lock()
	final := slices.Clone(roles)
	rmu.Unlock()
	for _, r := range final {
		if r.putter {
			r.g.Join(context.Background())
		}
	}
	putWG.Wait()
	q.Shutdown(false)
	for _, r := range final {
		r.g.Join(context.Background())
	}
	getWG.Wait()
	var left []int
	for v, ok := q.TryGet(); ok; v, ok = q.TryGet() {
		left = append(left, v)
	}

	want := slices.Sorted(slices.Values(put))
	all := slices.Sorted(slices.Values(slices.Concat(got, left)))
	if d := len(all) - len(slices.Compact(slices.Clone(all))); d > 0 {
		tally.duplicated.Add(int64(d))
		t.Errorf("%d items received twice", d)
	}
	for _, v := range want {
		if _, ok := slices.BinarySearch(all, v); !ok {
			tally.lost.Add(1)
		}
	}
	if n := tally.lost.Load(); n > 0 {
		t.Errorf("%d items lost", n)
	}
	if len(all) > len(want) {
		t.Errorf("%d items received, %d put", len(all), len(want))
	}
}
