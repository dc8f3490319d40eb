package pool_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/pool"
)

func TestNewPoolNegativePanics(t *testing.T) {
	defer func() {
		s, _ := recover().(string)
		if !strings.HasPrefix(s, "gevent/pool: NewPool with a negative size") {
			t.Fatalf("panic = %q, want the negative-size message", s)
		}
	}()
	pool.NewPool(-1)
}

// Pool(n) never has more than n members running, and does reach n.
func TestPoolBoundsConcurrency(t *testing.T) {
	for _, n := range []int{1, 2, 3, 10} {
		t.Run(fmt.Sprint("size=", n), func(t *testing.T) {
			run(t, func(ctx context.Context) error {
				p := pool.NewPool(n)
				var m maxTracker
				body := func(ctx context.Context, i int) (int, error) {
					m.enter()
					defer m.exit()
					if p.Len() > n || p.FreeCount() < 0 {
						return 0, fmt.Errorf("Len() = %d > %d", p.Len(), n)
					}
					for range 1 + i%3 {
						gevent.Yield(ctx)
					}
					return i * i, nil
				}
				// Two greenlets feed the pool at once.
				other := gevent.Spawn(ctx, func(ctx context.Context) ([]int, error) {
					return pool.Map(ctx, p, count(50), body)
				})
				got, err := pool.Map(ctx, p, count(50), body)
				if err != nil {
					return err
				}
				got2, err := other.Get(ctx)
				if err != nil {
					return err
				}
				want := squares(50)
				if !slices.Equal(got, want) || !slices.Equal(got2, want) {
					return fmt.Errorf("Map = %v / %v, want %v", got, got2, want)
				}
				if mx := m.max.Load(); mx != int64(n) {
					return fmt.Errorf("max concurrency = %d, want %d", mx, n)
				}
				if p.FreeCount() != n || p.Len() != 0 {
					return fmt.Errorf("after: FreeCount() = %d, Len() = %d", p.FreeCount(), p.Len())
				}
				return nil
			})
		})
	}
}

func count(n int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func squares(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i * i
	}
	return out
}

// Ported from test__pool.py TestSpawn: Spawn on a full pool parks until a
// slot frees, and a freed slot goes to the first waiter.
func TestPoolSpawnParksWhileFull(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(1)
		var release event.Event
		var order []string
		first, err := p.Spawn(ctx, func(ctx context.Context) error {
			order = append(order, "first")
			return release.Wait(ctx)
		})
		if err != nil {
			return err
		}
		if !p.Full() || p.FreeCount() != 0 {
			return fmt.Errorf("Full() = %v, FreeCount() = %d; want true, 0", p.Full(), p.FreeCount())
		}
		spawner := func(name string) *gevent.Greenlet[struct{}] {
			return gevent.Go(ctx, func(ctx context.Context) error {
				_, err := p.Spawn(ctx, func(ctx context.Context) error {
					order = append(order, name)
					return nil
				})
				return err
			})
		}
		s1, s2 := spawner("second"), spawner("third")
		for range 3 {
			gevent.Yield(ctx)
		}
		if s1.Dead() || s2.Dead() || p.Len() != 1 {
			return fmt.Errorf("spawners did not park: dead %v %v, Len() = %d", s1.Dead(), s2.Dead(), p.Len())
		}
		if _, err := p.TrySpawn(ctx, func(context.Context) error { return nil }); !errors.Is(err, pool.ErrPoolFull) {
			return fmt.Errorf("TrySpawn on a full pool = %v, want ErrPoolFull", err)
		}
		release.Set()
		if _, err := gevent.JoinAll(ctx, []gevent.Task{first, s1, s2}, gevent.RaiseError()); err != nil {
			return err
		}
		if err := p.Join(ctx); err != nil {
			return err
		}
		if want := []string{"first", "second", "third"}; !slices.Equal(order, want) {
			return fmt.Errorf("order = %v, want %v", order, want)
		}
		return nil
	})
}

// A Spawn waiter that is killed or times out takes no slot and loses none.
func TestPoolWaiterGivingUpLeaksNoSlot(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(2)
		var release event.Event
		for range 2 {
			p.Spawn(ctx, func(ctx context.Context) error { return release.Wait(ctx) })
		}
		ran := 0
		body := func(ctx context.Context) error { ran++; return nil }
		killed := gevent.Go(ctx, func(ctx context.Context) error {
			_, err := p.Spawn(ctx, body)
			return err
		})
		var timedOut error
		var timeout *gevent.Timeout
		timer := gevent.Go(ctx, func(ctx context.Context) error {
			timeout = gevent.NewTimeout(time.Millisecond, nil)
			tctx := timeout.Start(ctx)
			defer timeout.Cancel()
			_, timedOut = p.Spawn(tctx, body)
			return nil
		})
		gevent.Yield(ctx)
		killed.Kill(ctx)
		if err := timer.Join(ctx); err != nil {
			return err
		}
		if !errors.Is(killed.Err(), gevent.ErrGreenletExit) {
			return fmt.Errorf("killed waiter's Spawn = %v, want ErrGreenletExit", killed.Err())
		}
		if !errors.Is(timedOut, timeout) {
			return fmt.Errorf("timed-out Spawn = %v, want its own *Timeout", timedOut)
		}
		if p.FreeCount() != 0 || p.Len() != 2 {
			return fmt.Errorf("FreeCount() = %d, Len() = %d; want 0, 2", p.FreeCount(), p.Len())
		}
		release.Set()
		if err := p.Join(ctx); err != nil {
			return err
		}
		if p.FreeCount() != 2 || ran != 0 {
			return fmt.Errorf("FreeCount() = %d, bodies run = %d; want 2, 0", p.FreeCount(), ran)
		}
		return nil
	})
}

// Pool(0) can never spawn: every way in fails at once with ErrPoolFull.
func TestPoolSizeZero(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(0)
		if !p.Full() || p.FreeCount() != 0 {
			return fmt.Errorf("Full() = %v, FreeCount() = %d", p.Full(), p.FreeCount())
		}
		body := func(context.Context) error { return nil }
		if _, err := p.Spawn(ctx, body); !errors.Is(err, pool.ErrPoolFull) {
			return fmt.Errorf("Spawn = %v, want ErrPoolFull", err)
		}
		if _, err := p.TrySpawn(ctx, body); !errors.Is(err, pool.ErrPoolFull) {
			return fmt.Errorf("TrySpawn = %v, want ErrPoolFull", err)
		}
		g := gevent.New(ctx, func(context.Context) (int, error) { return 0, nil })
		if err := p.Add(ctx, g); !errors.Is(err, pool.ErrPoolFull) {
			return fmt.Errorf("Add = %v, want ErrPoolFull", err)
		}
		if n, err := p.WaitAvailable(ctx); n != 0 || !errors.Is(err, pool.ErrPoolFull) {
			return fmt.Errorf("WaitAvailable = %d, %v; want 0, ErrPoolFull", n, err)
		}
		id := func(_ context.Context, i int) (int, error) { return i, nil }
		if _, err := pool.Map(ctx, p, count(3), id); !errors.Is(err, pool.ErrPoolFull) {
			return fmt.Errorf("Map = %v, want ErrPoolFull", err)
		}
		var errs []error
		for _, err := range pool.Imap(ctx, p, count(3), id) {
			errs = append(errs, err)
		}
		if len(errs) != 1 || !errors.Is(errs[0], pool.ErrPoolFull) {
			return fmt.Errorf("Imap yielded errors %v, want [ErrPoolFull]", errs)
		}
		a := pool.ApplyAsync(ctx, p, func(context.Context) (int, error) { return 1, nil })
		if _, err := a.Get(ctx); !errors.Is(err, pool.ErrPoolFull) {
			return fmt.Errorf("ApplyAsync's Get = %v, want ErrPoolFull", err)
		}
		return nil
	})
}

// Ported from test__pool.py test_add_method*, test_discard.
func TestPoolAdd(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(1)
		sleep := func(ctx context.Context) (int, error) { return 0, gevent.Sleep(ctx, time.Hour) }
		first := gevent.Spawn(ctx, sleep)
		second := gevent.Spawn(ctx, sleep)
		defer gevent.KillAll(ctx, []gevent.Task{first, second})
		if err := p.Add(ctx, first); err != nil {
			return err
		}
		if p.FreeCount() != 0 || p.Len() != 1 {
			return fmt.Errorf("after Add: FreeCount() = %d, Len() = %d", p.FreeCount(), p.Len())
		}
		if err := p.TryAdd(second); !errors.Is(err, pool.ErrPoolFull) {
			return fmt.Errorf("TryAdd on a full pool = %v, want ErrPoolFull", err)
		}
		tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
		err := p.Add(tctx, second)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("Add with a timeout on a full pool = %v, want a timeout", err)
		}
		if err := p.Add(ctx, first); err != nil { // a member again: no slot needed
			return err
		}
		if p.FreeCount() != 0 || p.Len() != 1 {
			return fmt.Errorf("after failed Add: FreeCount() = %d, Len() = %d", p.FreeCount(), p.Len())
		}
		p.Discard(first)
		p.Discard(first) // not a member any more: frees nothing (unlike gevent)
		if p.FreeCount() != 1 || p.Len() != 0 {
			return fmt.Errorf("after Discard: FreeCount() = %d, Len() = %d", p.FreeCount(), p.Len())
		}
		first.Kill(ctx)
		if p.FreeCount() != 1 {
			return fmt.Errorf("a discarded member's end freed a slot: FreeCount() = %d", p.FreeCount())
		}
		return nil
	})
}

// Ported from test__pool.py TestPool0.test_wait_full, for a non-zero size.
func TestPoolWaitAvailable(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(1)
		var release event.Event
		p.Spawn(ctx, func(ctx context.Context) error { return release.Wait(ctx) })
		tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
		n, err := p.WaitAvailable(tctx)
		cancel()
		if n != 0 || !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("WaitAvailable on a full pool = %d, %v; want 0, a timeout", n, err)
		}
		w := gevent.Spawn(ctx, func(ctx context.Context) (int, error) { return p.WaitAvailable(ctx) })
		gevent.Yield(ctx)
		if w.Dead() {
			return errors.New("WaitAvailable did not wait")
		}
		release.Set()
		if n, err := w.Get(ctx); n != 1 || err != nil {
			return fmt.Errorf("WaitAvailable = %d, %v; want 1, nil", n, err)
		}
		if p.Len() != 0 {
			return fmt.Errorf("WaitAvailable took a slot: Len() = %d", p.Len())
		}
		return nil
	})
}

// The zero Pool has no bound, like gevent's Pool(None).
func TestPoolZeroValueUnbounded(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var p pool.Pool
		var release event.Event
		for range 100 {
			if _, err := p.TrySpawn(ctx, func(ctx context.Context) error { return release.Wait(ctx) }); err != nil {
				return err
			}
		}
		if p.Full() || p.Len() != 100 {
			return fmt.Errorf("Full() = %v, Len() = %d", p.Full(), p.Len())
		}
		release.Set()
		return p.Join(ctx)
	})
}

// A pool shared by greenlets of two hubs and by plain goroutines keeps its
// bound, and its slots flow between them.
func TestPoolAcrossHubsAndGoroutines(t *testing.T) {
	const size, perFeeder = 3, 40
	p := pool.NewPool(size)
	var m maxTracker
	body := func(ctx context.Context, i int) (int, error) {
		m.enter()
		defer m.exit()
		if l := p.Len(); l > size {
			return 0, fmt.Errorf("Len() = %d > %d", l, size)
		}
		gevent.Yield(ctx)
		return i * i, nil
	}
	hubs := []*gevent.Hub{gevent.NewHub(quiet()), gevent.NewHub(quiet())}
	var served sync.WaitGroup
	for _, h := range hubs {
		served.Add(1)
		go func() { defer served.Done(); h.Serve(context.Background()) }()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 4 {
		h := hubs[i%2]
		wg.Add(1)
		if i < 2 {
			// A greenlet of each hub maps.
			go func() {
				defer wg.Done()
				g := gevent.Spawn(h.Context(), func(ctx context.Context) ([]int, error) {
					return pool.Map(ctx, p, count(perFeeder), body)
				})
				got, err := g.Get(context.Background())
				if err == nil && !slices.Equal(got, squares(perFeeder)) {
					err = fmt.Errorf("Map from a greenlet = %v", got)
				}
				errs <- err
			}()
			continue
		}
		// A plain goroutine maps and spawns directly with the hub's context.
		go func() {
			defer wg.Done()
			got, err := pool.Map(h.Context(), p, count(perFeeder), body)
			if err == nil && !slices.Equal(got, squares(perFeeder)) {
				err = fmt.Errorf("Map from a goroutine = %v", got)
			}
			for i := range 5 {
				if err != nil {
					break
				}
				var v int
				v, err = pool.Apply(h.Context(), p, func(ctx context.Context) (int, error) { return body(ctx, i) })
				if err == nil && v != i*i {
					err = fmt.Errorf("Apply = %d", v)
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if err := p.Join(context.Background()); err != nil {
		t.Error(err)
	}
	if mx := m.max.Load(); mx > size || mx < 1 {
		t.Errorf("max concurrency = %d, want 1..%d", mx, size)
	}
	if p.FreeCount() != size {
		t.Errorf("FreeCount() = %d, want %d", p.FreeCount(), size)
	}
	for _, h := range hubs {
		h.Stop()
	}
	served.Wait()
}

// Many goroutines spawn, try-spawn and give up at random on one small pool:
// the bound holds throughout and every slot comes back.
func TestPoolSlotAccountingRace(t *testing.T) {
	const size = 4
	p := pool.NewPool(size)
	h := gevent.NewHub(quiet())
	done := make(chan struct{})
	go func() { h.Serve(context.Background()); close(done) }()
	var m maxTracker
	var overs sync.Map
	body := func(ctx context.Context) error {
		m.enter()
		defer m.exit()
		if n := m.cur.Load(); n > size {
			overs.Store(n, true)
		}
		return gevent.Yield(ctx)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for range 200 {
				switch r.IntN(3) {
				case 0:
					p.TrySpawn(h.Context(), body)
				case 1:
					ctx, cancel := context.WithTimeout(h.Context(), time.Duration(r.IntN(50))*time.Microsecond)
					p.Spawn(ctx, body)
					cancel()
				default:
					p.Spawn(h.Context(), body)
				}
			}
		}()
	}
	wg.Wait()
	if err := p.Join(context.Background()); err != nil {
		t.Fatal(err)
	}
	overs.Range(func(k, _ any) bool { t.Errorf("%v bodies ran at once, size %d", k, size); return true })
	if p.FreeCount() != size || p.Len() != 0 {
		t.Errorf("after: FreeCount() = %d, Len() = %d; want %d, 0", p.FreeCount(), p.Len(), size)
	}
	h.Stop()
	<-done
}

// Ported from test__pool.py test_terminate: killing a pool that a Map is
// feeding kills the running items and those Map spawns meanwhile, and the
// Map ends with the kill.
func TestPoolKillWhileMapping(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(5)
		mapper := gevent.Spawn(ctx, func(ctx context.Context) ([]int, error) {
			return pool.Map(ctx, p, count(12), func(ctx context.Context, i int) (int, error) {
				return i, gevent.Sleep(ctx, time.Hour)
			})
		})
		gevent.Yield(ctx)
		gevent.Yield(ctx)
		if p.Len() != 5 || !p.Full() {
			return fmt.Errorf("Len() = %d, want 5", p.Len())
		}
		if got := len(slices.Collect(p.All())); got != 5 {
			return fmt.Errorf("All() yielded %d members, want 5", got)
		}
		p.Kill(ctx)
		if _, err := mapper.Get(ctx); !errors.Is(err, gevent.ErrGreenletExit) {
			return fmt.Errorf("Map over a killed pool = %v, want ErrGreenletExit", err)
		}
		if p.Len() != 0 || p.FreeCount() != 5 {
			return fmt.Errorf("after: Len() = %d, FreeCount() = %d", p.Len(), p.FreeCount())
		}
		return nil
	})
}

func TestPoolKillOne(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(2)
		a, _ := p.Spawn(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		b, _ := p.Spawn(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		gevent.Yield(ctx)
		custom := errors.New("custom")
		p.KillOne(ctx, a, gevent.KillError(custom))
		if !a.Dead() || a.Err() != custom || p.Contains(a) || p.FreeCount() != 1 {
			return fmt.Errorf("after KillOne: dead %v, err %v, member %v, FreeCount() %d",
				a.Dead(), a.Err(), p.Contains(a), p.FreeCount())
		}
		if b.Dead() {
			return errors.New("KillOne killed another member")
		}
		p.Kill(ctx)
		return nil
	})
}

// Group.TrySpawn never fails; a Spawner's TrySpawn on a full pool does.
func TestTrySpawn(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var g pool.Group
		if _, err := g.TrySpawn(ctx, func(context.Context) error { return nil }); err != nil {
			return err
		}
		p := pool.NewPool(1)
		var release event.Event
		gl, err := pool.TrySpawn(ctx, p, func(ctx context.Context) (int, error) { return 1, release.Wait(ctx) })
		if err != nil {
			return err
		}
		if _, err := pool.TrySpawn(ctx, p, func(context.Context) (int, error) { return 2, nil }); !errors.Is(err, pool.ErrPoolFull) {
			return fmt.Errorf("TrySpawn on a full pool = %v, want ErrPoolFull", err)
		}
		release.Set()
		if v, err := gl.Get(ctx); v != 1 || err != nil {
			return fmt.Errorf("Get = %d, %v", v, err)
		}
		return g.Join(ctx)
	})
}

// Two callers waiting to Add the same task: the second to get a slot finds
// it a member already and gives its slot back.
func TestPoolAddSameTaskTwice(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(2)
		var release1, release2, releaseTask event.Event
		p.Spawn(ctx, func(ctx context.Context) error { return release1.Wait(ctx) })
		p.Spawn(ctx, func(ctx context.Context) error { return release2.Wait(ctx) })
		task := gevent.New(ctx, func(ctx context.Context) (int, error) { return 0, releaseTask.Wait(ctx) })
		adders := make([]gevent.Task, 2)
		for i := range adders {
			adders[i] = gevent.Go(ctx, func(ctx context.Context) error {
				return p.Add(ctx, task)
			})
		}
		gevent.Yield(ctx)
		release1.Set()
		if err := adders[0].Join(ctx); err != nil {
			return err
		}
		release2.Set()
		if _, err := gevent.JoinAll(ctx, adders, gevent.RaiseError()); err != nil {
			return err
		}
		gevent.Yield(ctx)
		if p.Len() != 1 || !p.Contains(task) || p.FreeCount() != 1 {
			return fmt.Errorf("Len() = %d, FreeCount() = %d; want 1, 1", p.Len(), p.FreeCount())
		}
		task.Start()
		releaseTask.Set()
		if err := p.Join(ctx); err != nil {
			return err
		}
		if p.FreeCount() != 2 {
			return fmt.Errorf("FreeCount() = %d, want 2", p.FreeCount())
		}
		return nil
	})
}
