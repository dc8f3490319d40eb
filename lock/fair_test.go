package lock_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/lock"
)

// A port of gevent's TestSemaphoreFair.test_fair_or_hangs (gevent issue
// 1487): two greenlets hand a one-unit semaphore back and forth through
// short-lived helpers while a third waits for it. With FIFO hand-off inside
// the release's notification pass the third gets the unit, sets the quit
// flag and ends; the second chain then winds down; the first stays parked
// for ever on the semaphore, so the wait for all three ends in ErrLoopExit
// with exactly gevent's outcome: exiting and keepGoing2 dead, keepGoing1
// not. An unfair semaphore spins between the two chains for ever (the test's
// deadline catches that).
func TestSemaphoreFairOrHangs(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		sem := lock.NewSemaphore(1)
		quit := false
		var acquireThenSpawn, releaseThenSpawn func(ctx context.Context) error
		acquireThenSpawn = func(ctx context.Context) error {
			if quit {
				return nil
			}
			if err := sem.Acquire(ctx); err != nil {
				return err
			}
			return gevent.Go(ctx, releaseThenSpawn).Join(ctx)
		}
		releaseThenSpawn = func(ctx context.Context) error {
			sem.Release()
			if quit {
				return nil
			}
			return gevent.Go(ctx, acquireThenSpawn).Join(ctx)
		}
		keepGoing1 := gevent.Go(ctx, acquireThenSpawn)
		keepGoing2 := gevent.Go(ctx, acquireThenSpawn)
		exiting := gevent.Go(ctx, func(ctx context.Context) error {
			if err := sem.Acquire(ctx); err != nil {
				return err
			}
			quit = true
			return nil
		})
		_, err := gevent.JoinAll(ctx, []gevent.Task{keepGoing1, keepGoing2, exiting})
		if !errors.Is(err, gevent.ErrLoopExit) {
			return errors.New("JoinAll = " + errString(err) + ", want ErrLoopExit")
		}
		if !exiting.Dead() || !keepGoing2.Dead() || keepGoing1.Dead() {
			t.Errorf("dead: exiting %v keepGoing2 %v keepGoing1 %v; want true true false",
				exiting.Dead(), keepGoing2.Dead(), keepGoing1.Dead())
		}
		sem.Release()
		return nil
	})
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}
