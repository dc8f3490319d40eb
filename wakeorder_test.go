package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/queue"
)

// The rule of design §2: a woken waiter resumes inside the pass that woke it,
// as gevent's callbacks switch into it. Each test writes down who ran first.

// A sleeper resumes from its timer, and a Timeout due in the same iteration
// is delivered right after the sleep timers (priority -1), before the work
// the sleeper queued: libev runs the queued callbacks only in the next
// iteration. synctest's clock makes both deadlines fall in one iteration.
func TestWakeOrderSleeperThenTimeoutThenQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l logger
		geventtest.Run(t, func(ctx context.Context) error {
			a := gevent.Go(ctx, func(ctx context.Context) error {
				gevent.Sleep(ctx, 10*time.Millisecond)
				l.add("sleeper woke")
				gevent.Go(ctx, func(ctx context.Context) error {
					l.add("spawned by the sleeper")
					return nil
				})
				return nil
			})
			w := gevent.Go(ctx, func(ctx context.Context) error {
				tctx, cancel := gevent.WithTimeout(ctx, 10*time.Millisecond)
				defer cancel()
				err := gevent.Sleep(tctx, time.Hour)
				l.add("timed out: %v", err != nil)
				return nil
			})
			_, err := gevent.JoinAll(ctx, []gevent.Task{a, w})
			gevent.Yield(ctx)
			return err
		})
		l.check(t, "sleeper woke", "timed out: true", "spawned by the sleeper")
	})
}

// SpawnLater's start runs from its timer too.
func TestWakeOrderSpawnLaterStartsFromTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l logger
		geventtest.Run(t, func(ctx context.Context) error {
			a := gevent.SpawnLater(ctx, 10*time.Millisecond, func(ctx context.Context) (struct{}, error) {
				l.add("started late")
				gevent.Go(ctx, func(ctx context.Context) error {
					l.add("spawned by it")
					return nil
				})
				return struct{}{}, nil
			})
			w := gevent.Go(ctx, func(ctx context.Context) error {
				tctx, cancel := gevent.WithTimeout(ctx, 10*time.Millisecond)
				defer cancel()
				gevent.Sleep(tctx, time.Hour)
				l.add("timed out")
				return nil
			})
			_, err := gevent.JoinAll(ctx, []gevent.Task{a, w})
			gevent.Yield(ctx)
			return err
		})
		l.check(t, "started late", "timed out", "spawned by it")
	})
}

// The joiners of a greenlet resume during its death notification, before a
// greenlet spawned after the death (by one that ran between the death and
// the notification).
func TestWakeOrderJoinerResumesInDeathNotification(t *testing.T) {
	var l logger
	geventtest.Run(t, func(ctx context.Context) error {
		target := gevent.New(ctx, func(ctx context.Context) (struct{}, error) {
			l.add("target ends")
			return struct{}{}, nil
		})
		joiner := gevent.Go(ctx, func(ctx context.Context) error {
			target.Join(ctx)
			l.add("joiner resumed")
			return nil
		})
		getter := gevent.Go(ctx, func(ctx context.Context) error {
			target.Get(ctx)
			l.add("getter resumed")
			return nil
		})
		target.Start()
		gevent.Go(ctx, func(ctx context.Context) error {
			// Runs after the death, before its notification.
			gevent.Go(ctx, func(ctx context.Context) error {
				l.add("spawned after the death")
				return nil
			})
			return nil
		})
		_, err := gevent.JoinAll(ctx, []gevent.Task{joiner, getter})
		gevent.Yield(ctx)
		return err
	})
	l.check(t, "target ends", "joiner resumed", "getter resumed", "spawned after the death")
}

// idle() runs before the Timeouts of the same iteration: Idle is not
// interrupted by a Timeout(0) (gevent's probe, reference §2.3).
func TestIdleBeforeTimeoutZero(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		tctx, cancel := gevent.WithTimeout(ctx, 0)
		defer cancel()
		if err := gevent.Idle(tctx); err != nil {
			t.Errorf("Idle under Timeout(0) = %v, want nil", err)
		}
		return nil
	})
}

// A Timeout started by a greenlet reaches its waits made with another
// context (the greenlet's own): queue, event, join, sleep and Blocking.
func TestTimeoutScopeReachesEveryWait(t *testing.T) {
	waits := map[string]func(ctx context.Context) error{
		"queue.Get": func(ctx context.Context) error {
			_, err := queue.New[int](0).Get(ctx)
			return err
		},
		"Event.Wait": func(ctx context.Context) error { return new(event.Event).Wait(ctx) },
		"Join": func(ctx context.Context) error {
			g := gevent.Spawn(ctx, sleeper)
			defer g.Kill(ctx)
			return g.Join(ctx)
		},
		"Sleep": func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) },
		"Blocking": func(ctx context.Context) error {
			release := make(chan struct{})
			defer close(release)
			_, err := gevent.Blocking(ctx, func(context.Context) (int, error) {
				select {
				case <-release:
				case <-time.After(10 * time.Second): // a regression fails, not hangs
				}
				return 0, nil
			})
			return err
		},
	}
	for name, wait := range waits {
		t.Run(name, func(t *testing.T) {
			// A wait the scope fails to reach ends with the hub's deadline.
			deadline, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := gevent.Run(deadline, func(ctx context.Context) error {
				tm := gevent.NewTimeout(5*time.Millisecond, nil)
				tm.Start(ctx) // the derived context is not used: the scope is
				defer tm.Cancel()
				if err := wait(ctx); !errors.Is(err, tm) {
					t.Errorf("%s = %v, want the Timeout", name, err)
				}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
}

// Leaving a scope ends its effect, and a Timeout restarted after its context
// was cancelled hands out a new context: the old one stays cancelled.
func TestTimeoutScopeLeftAndRestart(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		tm := gevent.NewTimeout(time.Millisecond, nil)
		first := tm.Start(ctx)
		if err := gevent.Sleep(first, time.Hour); !errors.Is(err, tm) {
			t.Errorf("Sleep = %v, want the Timeout", err)
		}
		tm.Cancel()
		second := tm.Start(ctx)
		if second == first {
			t.Error("restart after expiry returned the cancelled context")
		}
		if first.Err() == nil {
			t.Error("the first context became un-cancelled")
		}
		if second.Err() != nil {
			t.Errorf("the new context is cancelled: %v", second.Err())
		}
		tm.Cancel()
		// Out of every scope, a wait is not interrupted.
		if err := gevent.Sleep(ctx, 5*time.Millisecond); err != nil {
			t.Errorf("Sleep after leaving the scope = %v", err)
		}
		return nil
	})
}

// JoinAll, Wait and Iwait on a greenlet resume in its death notification
// too.
func TestWakeOrderCollectionsResumeInDeathNotification(t *testing.T) {
	var l logger
	geventtest.Run(t, func(ctx context.Context) error {
		target := gevent.New(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, nil })
		ts := []*gevent.Greenlet[struct{}]{target}
		waiters := []*gevent.Greenlet[struct{}]{
			gevent.Go(ctx, func(ctx context.Context) error {
				gevent.JoinAll(ctx, ts, gevent.Count(1), gevent.RaiseError())
				l.add("JoinAll")
				return nil
			}),
			gevent.Go(ctx, func(ctx context.Context) error {
				gevent.Wait(ctx, ts, gevent.Count(1))
				l.add("Wait")
				return nil
			}),
			gevent.Go(ctx, func(ctx context.Context) error {
				for range gevent.Iwait(ctx, ts) {
					l.add("Iwait")
				}
				return nil
			}),
		}
		target.Start()
		gevent.Go(ctx, func(ctx context.Context) error {
			gevent.Go(ctx, func(ctx context.Context) error {
				l.add("spawned after the death")
				return nil
			})
			return nil
		})
		_, err := gevent.JoinAll(ctx, waiters)
		gevent.Yield(ctx)
		return err
	})
	l.check(t, "JoinAll", "Wait", "Iwait", "spawned after the death")
}

// gevent's `spawn; spawn; wait()`: WaitHub returns once the other greenlets
// and their timers are done, and not before; its own timeout does not keep
// it waiting, and a greenlet parked for ever does not count.
func TestWaitHubWaitsForTheRest(t *testing.T) {
	var l logger
	geventtest.Run(t, func(ctx context.Context) error {
		gevent.Go(ctx, func(ctx context.Context) error {
			gevent.Sleep(ctx, 5*time.Millisecond)
			l.add("a")
			return nil
		})
		gevent.Go(ctx, func(ctx context.Context) error {
			gevent.Sleep(ctx, 10*time.Millisecond)
			l.add("b")
			return nil
		})
		stuck := gevent.Go(ctx, func(ctx context.Context) error {
			return new(event.Event).Wait(ctx) // nobody sets it
		})
		tctx, cancel := gevent.WithTimeout(ctx, time.Hour)
		defer cancel()
		if err := gevent.WaitHub(tctx); err != nil {
			return err
		}
		l.add("main")
		// gevent's wait([]) returns at once, unlike wait().
		if got, err := gevent.Wait(ctx, []gevent.Waitable{}); got != nil || err != nil {
			return fmt.Errorf("Wait(no objects) = %v, %v; want nil, nil", got, err)
		}
		stuck.Kill(ctx)
		return nil
	})
	l.check(t, "a", "b", "main")
}
