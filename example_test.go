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

// A timeout is a context with identity: errors.Is tells whose timeout it was.
func ExampleWithTimeout() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		tctx, cancel := gevent.WithTimeout(ctx, 10*time.Millisecond)
		defer cancel()
		err := gevent.Sleep(tctx, time.Hour)
		fmt.Println("mine:", errors.Is(err, context.Cause(tctx)))
		fmt.Println("deadline exceeded:", errors.Is(err, context.DeadlineExceeded))

		v, err := gevent.WithTimeoutFunc(ctx, 5*time.Millisecond, func(ctx context.Context) (string, error) {
			return "slow", gevent.Sleep(ctx, time.Hour)
		}, gevent.Fallback("fallback"))
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
