package core

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// unitList is a minimal primitive built the way the library's are: a FIFO
// of waiters under a lock, from which a waker pops the first still waiting
// and hands it one unit. Each successful Wake hands out one unit.
type unitList struct {
	mu     sync.Mutex
	l      WaitList
	handed atomic.Int64 // units handed out by successful Wakes
}

func (u *unitList) wakeOne() {
	u.mu.Lock()
	if u.l.WakeOne() != nil {
		u.handed.Add(1)
	}
	u.mu.Unlock()
}

// wait parks on the list with ctx, following the Waiter protocol.
func (u *unitList) wait(ctx context.Context) error {
	u.mu.Lock()
	w, err := Prepare(ctx)
	if err != nil {
		u.mu.Unlock()
		return err
	}
	u.l.PushBack(w)
	u.mu.Unlock()
	err = w.Block(ctx)
	if err != nil {
		u.mu.Lock()
		u.l.Remove(w)
		u.mu.Unlock()
	}
	if w.g == nil && len(w.ch) != 0 {
		panic("waiter signalled twice") // a stale signal would end its next wait early
	}
	w.Release()
	return err
}

// hammer runs wakers on plain goroutines against the list until stop is
// closed. They yield the processor between wakes so that the waiters get to
// park (the machine may have a single core).
func (u *unitList) hammer(n int, stop <-chan struct{}, wg *sync.WaitGroup) {
	for range n {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				u.wakeOne()
				runtime.Gosched()
			}
		})
	}
}

// TestWaiterRaceGoroutines races Wake (wakers popping the list) against
// Cancel (each wait's context cancelled from another goroutine at a random
// moment) against reuse (a goroutine waiter goes back to the pool after each
// wait and the next wait, by any goroutine, may get it). Exactly one of
// Wake and Cancel wins each wait: the units handed out equal the waits that
// succeeded, no waiter is signalled twice (Block's state check and the
// channel check), and none is lost (every wait returns; the test deadline
// catches a hang).
func TestWaiterRaceGoroutines(t *testing.T) {
	waits := 3000
	if testing.Short() {
		waits = 300
	}
	const owners, wakers = 4, 2
	deadline := failAfter(t, time.Minute)
	defer deadline.Stop()

	var u unitList
	stop := make(chan struct{})
	var wakersWG, ownersWG sync.WaitGroup
	u.hammer(wakers, stop, &wakersWG)
	var ok, cancelled atomic.Int64
	cause := errors.New("cancelled")
	for o := range owners {
		ownersWG.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(o), 7))
			for range waits / owners {
				ctx, cancel := context.WithCancelCause(context.Background())
				delay := time.Duration(rng.IntN(30)) * time.Microsecond
				timer := time.AfterFunc(delay, func() { cancel(cause) })
				switch err := u.wait(ctx); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, cause):
					cancelled.Add(1)
				default:
					t.Errorf("wait = %v", err)
				}
				timer.Stop()
				cancel(nil)
			}
		})
	}
	ownersWG.Wait()
	close(stop)
	wakersWG.Wait()
	if h := u.handed.Load(); h != ok.Load() {
		t.Errorf("%d units handed out, %d waits succeeded (%d cancelled): a unit went to a waiter that gave up, or a wait succeeded without one",
			h, ok.Load(), cancelled.Load())
	}
	if ok.Load() == 0 || cancelled.Load() == 0 {
		t.Logf("no race exercised? %d woken, %d cancelled", ok.Load(), cancelled.Load())
	}
	t.Logf("%d waits: %d woken, %d cancelled", waits, ok.Load(), cancelled.Load())
}

// TestWaiterRaceGreenlets is the same race for greenlet waiters, on a hub
// served on its own goroutine: each wait is made with a fresh cancellable
// context cancelled from another goroutine at a random moment, and some
// greenlets are killed from yet another goroutine while they wait (the
// greenlet's own-slot path). Killed greenlets are replaced: their wait
// blocks (waiter and timer) are reused by the new ones. Units handed out
// must equal the waits that succeeded, and no wait may end with a cause
// that is not its own.
func TestWaiterRaceGreenlets(t *testing.T) {
	t.Run("own-context", func(t *testing.T) {
		// Waits with the greenlet's own context, cancelled only by kills
		// (the own-slot path); the cancel function does nothing.
		waiterRaceGreenlets(t, 60, func(g *G, i int) (context.Context, func(), error) {
			return g, func() {}, errors.New("unused")
		})
	})
	t.Run("std-context", func(t *testing.T) {
		// A standard context carrying the greenlet but not its
		// cancellation: watched through context.AfterFunc (watchForeign).
		// Kills cannot reach these waits, so there are none.
		waiterRaceGreenlets(t, 0, func(g *G, i int) (context.Context, func(), error) {
			self := fmt.Errorf("cancel %d", i)
			ctx, cancel := context.WithCancelCause(context.WithoutCancel(g))
			return ctx, func() { cancel(self) }, self
		})
	})
	t.Run("std-context-of-greenlet", func(t *testing.T) {
		// context.WithCancelCause of the greenlet's context, with kills.
		waiterRaceGreenlets(t, 20, func(g *G, i int) (context.Context, func(), error) {
			self := fmt.Errorf("cancel %d", i)
			ctx, cancel := context.WithCancelCause(g)
			return ctx, func() { cancel(self) }, self
		})
	})
	t.Run("timeout", func(t *testing.T) {
		// A Timeout (TimerCtx) in the hub's heap, cancelled by hand:
		// registered as a listener on the TimerCtx's canceler; with kills.
		waiterRaceGreenlets(t, 20, func(g *G, i int) (context.Context, func(), error) {
			self := fmt.Errorf("timeout %d", i)
			tc := new(TimerCtx)
			tc.Init(self)
			tc.Start(g, time.Hour)
			return tc, func() { tc.CancelWith(self) }, self
		})
	})
}

func waiterRaceGreenlets(t *testing.T, kills int, newCtx func(g *G, i int) (ctx context.Context, cancel func(), self error)) {
	waitsPer := 400
	if testing.Short() {
		waitsPer = 60
	}
	const greenlets, wakers = 6, 2
	deadline := failAfter(t, 20*time.Second)
	defer deadline.Stop()

	h := NewHub(context.Background(), Options{ErrorHandler: func(*G, error) {}})
	served := make(chan struct{})
	go func() {
		defer close(served)
		h.Serve(context.Background(), nil)
	}()

	var u unitList
	stop := make(chan struct{})
	var helpers sync.WaitGroup
	u.hammer(wakers, stop, &helpers)

	var (
		mu        sync.Mutex
		pending   []func() // cancel functions of waits, current or past
		live      []*G
		ok        atomic.Int64
		cancelled atomic.Int64
		killed    atomic.Int64
	)
	errKill := errors.New("killed")
	body := func(g *G) error {
		for i := range waitsPer {
			ctx, cancel, self := newCtx(g, i)
			mu.Lock()
			pending = append(pending, cancel)
			mu.Unlock()
			err := u.wait(ctx)
			cancel() // release the context (a no-op on its outcome now)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, errKill):
				killed.Add(1)
				return err
			case errors.Is(err, self):
				cancelled.Add(1)
			default:
				return fmt.Errorf("wait %d ended with a cause not its own: %v", i, err)
			}
		}
		return nil
	}
	spawn := func() {
		g := spawnG(h, h.Context(), body)
		mu.Lock()
		live = append(live, g)
		mu.Unlock()
	}
	for range greenlets {
		spawn()
	}
	// The canceller: cancels a random wait now and then (often one that
	// has already ended: a stale cancel must not touch a later wait).
	helpers.Go(func() {
		rng := rand.New(rand.NewPCG(1, 1))
		for {
			select {
			case <-stop:
				return
			default:
			}
			mu.Lock()
			var cancel func()
			if n := len(pending); n > 0 {
				i := rng.IntN(n)
				cancel = pending[i]
				pending[i] = pending[n-1]
				pending = pending[:n-1]
			}
			mu.Unlock()
			if cancel != nil {
				cancel()
			}
			runtime.Gosched()
		}
	})
	// The killer: kills a random live greenlet, kills times, replacing each.
	helpers.Go(func() {
		rng := rand.New(rand.NewPCG(2, 2))
		for range kills {
			time.Sleep(time.Duration(rng.IntN(500)) * time.Microsecond) // spreads the kills; not synchronisation
			mu.Lock()
			g := live[rng.IntN(len(live))]
			mu.Unlock()
			g.Kill(errKill)
			spawn()
		}
	})
	// Wait for the killer's last replacement, then for every greenlet to
	// end (a greenlet killed before it first ran never runs its body).
	for {
		mu.Lock()
		n := len(live)
		mu.Unlock()
		if n == greenlets+kills {
			break
		}
		runtime.Gosched()
	}
	for _, g := range live {
		if err := g.Join(context.Background()); err != nil {
			t.Fatalf("Join = %v", err)
		}
	}
	close(stop)
	helpers.Wait()
	h.Stop()
	<-served

	for _, g := range live {
		if err := g.Result(); err != nil && !errors.Is(err, errKill) {
			t.Errorf("greenlet ended with %v", err)
		}
	}
	if hnd := u.handed.Load(); hnd != ok.Load() {
		t.Errorf("%d units handed out, %d waits succeeded (%d cancelled, %d killed)",
			hnd, ok.Load(), cancelled.Load(), killed.Load())
	}
	t.Logf("%d woken, %d cancelled, %d killed while waiting", ok.Load(), cancelled.Load(), killed.Load())
}

// failAfter panics with the test's name and every goroutine's stack when
// the test is still running after d: a lost wake-up must fail the run, not
// hang it.
func failAfter(t *testing.T, d time.Duration) *time.Timer {
	name := t.Name()
	return time.AfterFunc(d, func() {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		panic(fmt.Sprintf("%s: still running after %v (a lost wake-up?)\n\n%s", name, d, buf))
	})
}
