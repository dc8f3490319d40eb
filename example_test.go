package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
)

// Greenlets start in spawn order, each running until its next switch point.
func ExampleSpawn() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		for _, name := range []string{"a", "b"} {
			gevent.Go(ctx, func(ctx context.Context) error {
				fmt.Println(name, "step 1")
				gevent.Yield(ctx)
				fmt.Println(name, "step 2")
				return nil
			})
		}
		sq := gevent.Spawn(ctx, func(ctx context.Context) (int, error) { return 7 * 7, nil })
		v, err := sq.Get(ctx) // parks main; the hub runs the others meanwhile
		fmt.Println("result:", v, err)
		return nil
	})
	// Output:
	// a step 1
	// b step 1
	// a step 2
	// b step 2
	// result: 49 <nil>
}

// Kill interrupts the greenlet's blocking call with ErrGreenletExit, runs its
// deferred calls and waits until it is dead.
func ExampleGreenlet_Kill() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		g := gevent.Go(ctx, func(ctx context.Context) error {
			defer fmt.Println("cleaned up")
			err := gevent.Sleep(ctx, time.Hour)
			fmt.Println("sleep:", err)
			return err
		})
		gevent.Yield(ctx) // let it start and park
		g.Kill(ctx)
		fmt.Println("dead:", g.Dead(), "successful:", g.Successful())
		return nil
	})
	// Output:
	// sleep: gevent: greenlet exit
	// cleaned up
	// dead: true successful: true
}

// A kill waits as long as its context allows: a greenlet that goes on after
// the kill (here, cleanup that must not be interrupted) is waited for until
// the deadline, and a context already done means no wait at all (gevent's
// kill(timeout=...) and kill(block=False)).
func ExampleGreenlet_Kill_timeout() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		g := gevent.Go(ctx, func(ctx context.Context) error {
			err := gevent.Sleep(ctx, time.Hour)                           // ends with the kill
			gevent.Sleep(context.WithoutCancel(ctx), 50*time.Millisecond) // slow cleanup
			return err
		})
		gevent.Yield(ctx)
		tctx, cancel := gevent.WithTimeout(ctx, 10*time.Millisecond)
		g.Kill(tctx)
		cancel()
		fmt.Println("dead after the kill's deadline:", g.Dead())

		done, cancel := context.WithCancel(ctx)
		cancel()
		h := gevent.Go(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		gevent.Yield(ctx)
		h.Kill(done)
		fmt.Println("dead right after a kill with a done ctx:", h.Dead())
		// Run waits for g's cleanup before it returns.
		return nil
	})
	// Output:
	// dead after the kill's deadline: false
	// dead right after a kill with a done ctx: false
}

// A timeout is a context with identity: errors.Is tells whose timeout it was.
func ExampleWithTimeout() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		tctx, cancel := gevent.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		err := gevent.Sleep(tctx, time.Hour)
		fmt.Println("mine:", errors.Is(err, context.Cause(tctx)))
		fmt.Println("deadline exceeded:", errors.Is(err, context.DeadlineExceeded))

		v, err := gevent.WithTimeoutFallback(ctx, 5*time.Millisecond, func(ctx context.Context) (string, error) {
			return "slow", gevent.Sleep(ctx, time.Hour)
		}, "fallback")
		fmt.Println(v, err)
		return nil
	})
	// Output:
	// mine: true
	// deadline exceeded: true
	// fallback <nil>
}

// JoinAll waits for many greenlets; with RaiseError it reports the first to
// fail in time.
func ExampleJoinAll() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		slow := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			if err := gevent.Sleep(ctx, time.Hour); err != nil {
				return 0, err
			}
			return 0, errors.New("slow failure")
		})
		fast := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 0, errors.New("fast failure")
		})
		ok := gevent.Spawn(ctx, func(ctx context.Context) (int, error) { return 1, nil })
		all := []*gevent.Greenlet[int]{slow, fast, ok}
		_, err := gevent.JoinAll(ctx, all, gevent.RaiseError())
		fmt.Println("first failure:", err)
		slow.Kill(ctx)
		ready, err := gevent.JoinAll(ctx, all) // typed: a []*gevent.Greenlet[int]
		fmt.Println(len(ready), "ended;", err, "first value:", ready[0].Value())
		return nil
	}, gevent.WithErrorHandler(func(gevent.Task, error) {})) // failures are expected
	// Output:
	// first failure: fast failure
	// 3 ended; <nil> first value: 0
}

// Iwait yields objects as they become ready.
func ExampleIwait() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		var gs []*gevent.Greenlet[time.Duration]
		for _, d := range []time.Duration{30 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond} {
			gs = append(gs, gevent.Spawn(ctx, func(ctx context.Context) (time.Duration, error) {
				return d, gevent.Sleep(ctx, d)
			}))
		}
		for g := range gevent.Iwait(ctx, gs, gevent.Count(2)) {
			fmt.Println(g.Value())
		}
		return nil
	})
	// Output:
	// 10ms
	// 20ms
}

// Links are handled after the greenlet ends, in registration order: a
// RawLink callback runs on the hub at once, and each Link callback runs in a
// greenlet of its own, which may block.
func ExampleGreenlet_Link() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		g := gevent.Spawn(ctx, func(ctx context.Context) (string, error) { return "hello", nil }, gevent.WithName("greeter"))
		var linked event.Event
		g.Link(func(ctx context.Context, g *gevent.Greenlet[string]) {
			gevent.Sleep(ctx, time.Millisecond) // a link greenlet may block
			fmt.Println("link:", g.Name(), "ended with", g.Value())
			linked.Set()
		})
		g.LinkValue(func(context.Context, *gevent.Greenlet[string]) { fmt.Println("value link: success") })
		g.LinkException(func(context.Context, *gevent.Greenlet[string]) { fmt.Println("exception link: never") })
		g.RawLink(func(*gevent.Greenlet[string]) { fmt.Println("raw link: on the hub") })
		return linked.Wait(ctx)
	})
	// Output:
	// value link: success
	// raw link: on the hub
	// link: greeter ended with hello
}

// Run returns main's error after every other greenlet has ended: those still
// running are killed, and their deferred calls run.
func ExampleRun() {
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		gevent.Go(ctx, func(ctx context.Context) error {
			defer fmt.Println("background greenlet stopped")
			return gevent.Sleep(ctx, time.Hour)
		})
		gevent.Yield(ctx)
		fmt.Println("main returns")
		return errors.New("main's error")
	}) // main's error is returned, not logged
	fmt.Println("Run:", err)
	// Output:
	// main returns
	// background greenlet stopped
	// Run: main's error
}

// Blocking runs code that blocks outside the library on a worker goroutine,
// while other greenlets keep running on the hub.
func ExampleBlocking() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		ch := make(chan string, 1)
		g := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			return gevent.Blocking(ctx, func(ctx context.Context) (string, error) {
				return <-ch, nil // a plain channel receive would block the hub
			})
		})
		gevent.Go(ctx, func(ctx context.Context) error {
			fmt.Println("the hub still runs greenlets")
			ch <- "from the channel"
			return nil
		})
		v, err := g.Get(ctx)
		fmt.Println(v, err)
		return nil
	})
	// Output:
	// the hub still runs greenlets
	// from the channel <nil>
}

// Go starts a greenlet whose body returns only an error (errgroup's Go):
// its value is struct{}, and JoinAll with RaiseError reports the first
// failure.
func ExampleGo() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		var tasks []*gevent.Greenlet[struct{}]
		for _, name := range []string{"a.txt", "b.txt", "missing.txt"} {
			tasks = append(tasks, gevent.Go(ctx, func(ctx context.Context) error {
				if name == "missing.txt" {
					return fmt.Errorf("open %s: not found", name)
				}
				fmt.Println("processed", name)
				return nil
			}))
		}
		_, err := gevent.JoinAll(ctx, tasks, gevent.RaiseError())
		fmt.Println("first failure:", err)
		return nil
	}, gevent.WithErrorHandler(func(gevent.Task, error) {})) // the failure is expected
	// Output:
	// processed a.txt
	// processed b.txt
	// first failure: open missing.txt: not found
}

// gevent's `spawn(a); spawn(b); wait()`: WaitHub returns once nothing else
// is left on the hub.
func ExampleWaitHub() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		for _, d := range []time.Duration{2 * time.Millisecond, time.Millisecond} {
			gevent.Go(ctx, func(ctx context.Context) error {
				if err := gevent.Sleep(ctx, d); err != nil {
					return err
				}
				fmt.Println("slept", d)
				return nil
			})
		}
		err := gevent.WaitHub(ctx)
		fmt.Println("all done:", err)
		return nil
	})
	// Output:
	// slept 1ms
	// slept 2ms
	// all done: <nil>
}

// Wait takes any Waitables: here an Event and a greenlet; Count(1) returns
// as soon as one of them is ready.
func ExampleWait() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		var ev event.Event
		slow := gevent.Go(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		gevent.Go(ctx, func(ctx context.Context) error {
			ev.Set()
			return nil
		})
		ready, err := gevent.Wait(ctx, []gevent.Waitable{slow, &ev}, gevent.Count(1))
		fmt.Println(len(ready), ready[0] == gevent.Waitable(&ev), err)
		slow.Kill(ctx)
		return nil
	})
	// Output: 1 true <nil>
}

// The module-level Kill yields once, as guv's kill does: a greenlet of the
// same hub has reacted to the kill (here: run its deferred call and ended)
// before Kill returns; Kill never waits for the end, though. With a context
// that carries no greenlet it does not switch, as gevent's kill.
func ExampleKill() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		g := gevent.Go(ctx, func(ctx context.Context) error {
			defer fmt.Println("deferred call ran")
			return gevent.Sleep(ctx, time.Hour)
		})
		gevent.Yield(ctx) // g starts and parks
		gevent.Kill(ctx, g)
		fmt.Println("after Kill: dead =", g.Dead())
		return nil
	})
	// Output:
	// deferred call ran
	// after Kill: dead = true
}

// A panic ends only its greenlet, with a *PanicError carrying the value and
// the stack; the hub reports it (here to a handler of our own).
func ExamplePanicError() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		g := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			var m map[string]int
			//lint:ignore SA5000 the example panics on purpose
			m["x"] = 1 // panics: assignment to entry in nil map
			return 0, nil
		}, gevent.WithName("parser"))
		_, err := g.Get(ctx)
		var pe *gevent.PanicError
		if errors.As(err, &pe) {
			fmt.Println("panicked:", pe.Value, "; stack recorded:", len(pe.Stack) > 0)
		}
		return nil
	}, gevent.WithErrorHandler(func(t gevent.Task, err error) { fmt.Println("reported:", t.Name()) }))
	// Output:
	// reported: parser
	// panicked: assignment to entry in nil map ; stack recorded: true
}

// counter is a Runner: a value whose Run method is a greenlet's body (gevent's
// Greenlet subclass overriding _run), named by its String method.
type counter struct{ to int }

func (c counter) Run(ctx context.Context) (int, error) {
	sum := 0
	for i := 1; i <= c.to; i++ {
		sum += i
		if err := gevent.Yield(ctx); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

func (c counter) String() string { return fmt.Sprintf("counter-to-%d", c.to) }

func ExampleSpawnRunner() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		g := gevent.SpawnRunner(ctx, counter{to: 10})
		v, err := g.Get(ctx)
		fmt.Println(g.Name(), v, err)
		return nil
	})
	// Output: counter-to-10 55 <nil>
}
