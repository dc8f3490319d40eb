package event_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
)

func ExampleEvent() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		var ready event.Event
		var tasks []gevent.Task
		for i := range 3 {
			tasks = append(tasks, gevent.Go(ctx, func(ctx context.Context) error {
				fmt.Println("worker", i, "waits")
				if err := ready.Wait(ctx); err != nil {
					return err
				}
				fmt.Println("worker", i, "goes")
				return nil
			}))
		}
		gevent.Yield(ctx) // let the workers park
		fmt.Println("main sets the event")
		ready.Set()
		// Wait on a set Event whose waiters have not run yet returns after
		// them (gevent's issue 1520 rule).
		ready.Wait(ctx)
		fmt.Println("main continues")
		_, err := gevent.JoinAll(ctx, tasks)
		return err
	})
	// Output:
	// worker 0 waits
	// worker 1 waits
	// worker 2 waits
	// main sets the event
	// worker 0 goes
	// worker 1 goes
	// worker 2 goes
	// main continues
}

func ExampleAsyncResult() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		var answer event.AsyncResult[int]
		gevent.Go(ctx, func(ctx context.Context) error {
			answer.Set(42)
			return nil
		})
		v, err := answer.Get(ctx) // parks main until the greenlet sets it
		fmt.Println(v, err)

		// Feed a result from a greenlet's outcome (gevent's
		// greenlet.link(async_result)).
		var failed event.AsyncResult[string]
		g := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			return "", errors.New("no luck")
		})
		failed.SetFrom(g)
		_, err = failed.Get(ctx)
		fmt.Println("error:", err, "successful:", failed.Successful())
		return nil
	})
	// Output:
	// 42 <nil>
	// error: no luck successful: false
}
