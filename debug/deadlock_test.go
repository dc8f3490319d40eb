package debug_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/lock"
	"github.com/gevent-go/gevent/pool"
	"github.com/gevent-go/gevent/queue"
)

// runDeadlock runs main on a hub of its own under a deadline and returns
// its error.
func runDeadlock(t *testing.T, main func(ctx context.Context) error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- gevent.Run(context.Background(), main, gevent.WithHubName("corpus")) }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("the program hung instead of ending with ErrLoopExit")
		return nil
	}
}

// wantGraph checks that err is ErrLoopExit and that its text matches every
// pattern (regular expressions over the wait graph).
func wantGraph(t *testing.T, err error, patterns ...string) {
	t.Helper()
	if !errors.Is(err, gevent.ErrLoopExit) {
		t.Fatalf("err = %v, want ErrLoopExit", err)
	}
	text := err.Error()
	if !strings.Contains(text, "wait graph (hub corpus") {
		t.Fatalf("no wait graph in %q", text)
	}
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(text) {
			t.Errorf("wait graph does not match %q:\n%s", p, text)
		}
	}
}

// A lock-order inversion: two greenlets each hold one Reentrant lock and
// wait for the other's.
func TestDeadlockLockCycle(t *testing.T) {
	err := runDeadlock(t, func(ctx context.Context) error {
		var l1, l2 lock.Reentrant
		var both event.Event
		taken := 0
		lockBoth := func(first, second *lock.Reentrant) func(context.Context) error {
			return func(ctx context.Context) error {
				first.Acquire(ctx)
				defer first.Release(ctx)
				if taken++; taken == 2 {
					both.Set()
				}
				if err := both.Wait(ctx); err != nil {
					return err
				}
				if err := second.Acquire(ctx); err != nil {
					return err
				}
				second.Release(ctx)
				return nil
			}
		}
		a := gevent.Go(ctx, lockBoth(&l1, &l2), gevent.WithName("worker-a"))
		gevent.Go(ctx, lockBoth(&l2, &l1), gevent.WithName("worker-b"))
		return a.Join(ctx)
	})
	wantGraph(t, err,
		`cycle: worker-a #\d+ -> worker-b #\d+ -> worker-a #\d+`,
		`worker-a #\d+ parked on lock lock\.Reentrant\(owner worker-b #`,
		`worker-b #\d+ parked on lock lock\.Reentrant\(owner worker-a #`,
		`main #\d+ parked on join greenlet worker-a #`)
	if strings.Contains(err.Error(), "nobody can signal") {
		t.Errorf("a cycle reported as an orphan:\n%v", err)
	}
}

// A getter on a queue nobody puts to.
func TestDeadlockQueueGet(t *testing.T) {
	err := runDeadlock(t, func(ctx context.Context) error {
		q := queue.New[int](0)
		_, err := q.Get(ctx)
		return err
	})
	wantGraph(t, err, `nobody can signal queue\.get queue\(len 0/inf, 1 getters`, `main #\d+ parked on queue\.get`)
	if strings.Contains(err.Error(), "cycle") {
		t.Errorf("an orphan reported as a cycle:\n%v", err)
	}
}

// A join on a greenlet that waits for its joiner.
func TestDeadlockJoinCycle(t *testing.T) {
	err := runDeadlock(t, func(ctx context.Context) error {
		var parent gevent.Task
		ready := make(chan struct{})
		parent = gevent.Go(ctx, func(ctx context.Context) error {
			<-ready // set before this greenlet first runs
			child := gevent.Go(ctx, func(ctx context.Context) error {
				_, err := gevent.Wait(ctx, []gevent.Task{parent})
				return err
			}, gevent.WithName("child"))
			return child.Join(ctx)
		}, gevent.WithName("parent"))
		close(ready)
		return parent.Join(ctx)
	})
	wantGraph(t, err,
		`cycle: parent #\d+ -> child #\d+ -> parent #\d+`,
		`parent #\d+ parked on join greenlet child #`,
		`child #\d+ parked on wait\.any wait\.any\(1 objects`)
}

// An event nobody sets.
func TestDeadlockEvent(t *testing.T) {
	err := runDeadlock(t, func(ctx context.Context) error {
		var ev event.Event
		gevent.Go(ctx, ev.Wait, gevent.WithName("second-waiter"))
		return ev.Wait(ctx)
	})
	wantGraph(t, err,
		`nobody can signal event event\.Event\(clear, 2 waiting\):\n    main #\d+ parked on event .*\n    second-waiter #\d+ parked on event`)
}

// Correct programs whose waits end by a timer, a Blocking call or another
// greenlet report nothing.
func TestNoDeadlock(t *testing.T) {
	err := runDeadlock(t, func(ctx context.Context) error {
		var ev event.Event
		gevent.Go(ctx, func(ctx context.Context) error {
			if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
			_, err := gevent.Blocking(ctx, func(context.Context) (int, error) { return 1, nil })
			ev.Set()
			return err
		})
		return ev.Wait(ctx)
	})
	if err != nil {
		t.Errorf("err = %v, want nil", err)
	}
}

// A semaphore leak: a greenlet took the only unit and ended without
// releasing it.
func TestDeadlockSemaphoreLeak(t *testing.T) {
	err := runDeadlock(t, func(ctx context.Context) error {
		sem := lock.NewSemaphore(1)
		leaker := gevent.Go(ctx, sem.Acquire, gevent.WithName("leaker"))
		if err := leaker.Join(ctx); err != nil {
			return err
		}
		return sem.Acquire(ctx)
	})
	wantGraph(t, err, `nobody can signal semaphore lock\.Semaphore\(0 free, 1 waiting\):\n    main #\d+ parked on semaphore`)
}

// Group.Join with a member waiting for the joiner.
func TestDeadlockGroupJoin(t *testing.T) {
	err := runDeadlock(t, func(ctx context.Context) error {
		var g pool.Group
		joiner := gevent.Current(ctx)
		if _, err := g.Spawn(ctx, func(ctx context.Context) error {
			_, err := gevent.Wait(ctx, []gevent.Task{joiner})
			return err
		}, gevent.WithName("member")); err != nil {
			return err
		}
		return g.Join(ctx)
	})
	wantGraph(t, err,
		`cycle: main #\d+ -> member #\d+ -> main #\d+`,
		`main #\d+ parked on group\.join pool\.Group\(1 members\)`)
}
