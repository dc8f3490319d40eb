package lock_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/quick"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/lock"
)

// TestSemaphoreModel checks random sequences of TryAcquire, Release,
// Acquire and Wait with an expiring timeout, Value and Locked, made by one
// greenlet, against a plain counter.
func TestSemaphoreModel(t *testing.T) {
	check := func(initial uint8, ops []uint8) bool {
		ok := true
		fail := func(format string, args ...any) {
			t.Errorf(format, args...)
			ok = false
		}
		geventtest.Run(t, func(ctx context.Context) error {
			model := int(initial % 4)
			s := lock.NewSemaphore(model)
			for i, op := range ops {
				switch op % 5 {
				case 0: // TryAcquire
					want := model > 0
					if want {
						model--
					}
					if got := s.TryAcquire(); got != want {
						fail("op %d: TryAcquire() = %v, want %v", i, got, want)
					}
				case 1, 2: // Release (twice as likely, so units pile up)
					model++
					s.Release()
				case 3: // Acquire with a timeout that expires
					tctx, cancel := gevent.WithTimeout(ctx, 0)
					err := s.Acquire(tctx)
					cancel()
					if model > 0 {
						model--
						if err != nil {
							fail("op %d: Acquire = %v with %d free", i, err, model+1)
						}
					} else if !errors.Is(err, context.DeadlineExceeded) {
						fail("op %d: Acquire = %v with none free, want a timeout", i, err)
					}
				case 4: // Wait with a timeout that expires
					tctx, cancel := gevent.WithTimeout(ctx, 0)
					n, err := s.Wait(tctx)
					cancel()
					if model > 0 && (n != model || err != nil) {
						fail("op %d: Wait = %d, %v; want %d, nil", i, n, err, model)
					}
					if model == 0 && (n != 0 || !errors.Is(err, context.DeadlineExceeded)) {
						fail("op %d: Wait = %d, %v; want 0, a timeout", i, n, err)
					}
				}
				if s.Value() != model || s.Locked() != (model == 0) || s.Ready() != (model > 0) {
					fail("op %d: Value %d Locked %v Ready %v; model %d", i, s.Value(), s.Locked(), s.Ready(), model)
				}
				if !ok {
					return nil
				}
			}
			return nil
		})
		return ok
	}
	if err := quick.Check(check, &quick.Config{MaxCount: 50}); err != nil {
		t.Fatal(err)
	}
}

// TestSemaphoreWaitersModel checks the wake-up rules with parked greenlets
// against a counter and a FIFO queue: after each step the hub is let run
// until it has nothing left to do (gevent.Idle), and then the units taken,
// the order they were taken in, the free count and the queue must match.
//
// Steps: spawn a waiter; Release; Release then TryAcquire before switching
// (barging: succeeds, waiters stay queued); kill a queued waiter; Release
// then kill the first queued waiter before the notification pass runs (the
// unit must go to the next one).
func TestSemaphoreWaitersModel(t *testing.T) {
	check := func(initial uint8, ops []uint8) bool {
		ok := true
		fail := func(format string, args ...any) {
			t.Errorf(format, args...)
			ok = false
		}
		geventtest.Run(t, func(ctx context.Context) error {
			free := int(initial % 3)
			s := lock.NewSemaphore(free)
			var queue []int     // model: ids waiting, FIFO
			var wantTaken []int // model: ids that acquired, in order
			var taken []int     // actual
			var tasks []*gevent.Greenlet[struct{}]
			settle := func() {
				if err := gevent.Idle(ctx); err != nil {
					fail("Idle = %v", err)
				}
			}
			killFront := func() {
				if len(queue) == 0 {
					return
				}
				gevent.Kill(context.Background(), tasks[queue[0]])
				queue = queue[1:]
			}
			for step, op := range ops {
				switch op % 5 {
				case 0: // a new waiter
					id := len(tasks)
					tasks = append(tasks, gevent.Go(ctx, func(ctx context.Context) error {
						if err := s.Acquire(ctx); err != nil {
							return err
						}
						taken = append(taken, id)
						return nil
					}))
					if free > 0 {
						free--
						wantTaken = append(wantTaken, id)
					} else {
						queue = append(queue, id)
					}
				case 1: // Release
					s.Release()
					free++
				case 2: // Release, then barge
					s.Release()
					if !s.TryAcquire() {
						fail("step %d: TryAcquire right after Release = false", step)
					}
				case 3: // kill a queued waiter (the last)
					if n := len(queue); n > 0 {
						gevent.Kill(context.Background(), tasks[queue[n-1]])
						queue = queue[:n-1]
					}
				case 4: // Release, then kill the first waiter before the pass
					s.Release()
					free++
					killFront()
				}
				for free > 0 && len(queue) > 0 {
					free--
					wantTaken = append(wantTaken, queue[0])
					queue = queue[1:]
				}
				settle()
				if !slices.Equal(taken, wantTaken) {
					fail("step %d (op %d): taken %v, want %v", step, op%5, taken, wantTaken)
				}
				if s.Value() != free {
					fail("step %d (op %d): Value() = %d, want %d", step, op%5, s.Value(), free)
				}
				for _, id := range queue {
					if tasks[id].Dead() {
						fail("step %d: waiter %d ended, want it still queued", step, id)
					}
				}
				if !ok {
					break
				}
			}
			for _, g := range tasks {
				g.Kill(ctx)
			}
			return nil
		})
		return ok
	}
	if err := quick.Check(check, &quick.Config{MaxCount: 50}); err != nil {
		t.Fatal(err)
	}
}
