package lock_test

import (
	"context"
	"fmt"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/lock"
)

func ExampleSemaphore() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		sem := lock.NewSemaphore(2) // at most two workers inside at once
		var tasks []gevent.Task
		for i := range 4 {
			tasks = append(tasks, gevent.Go(ctx, func(ctx context.Context) error {
				if err := sem.Acquire(ctx); err != nil {
					return err
				}
				defer sem.Release()
				fmt.Println("worker", i, "in; free units:", sem.Value())
				gevent.Yield(ctx) // let the others try
				fmt.Println("worker", i, "out")
				return nil
			}))
		}
		_, err := gevent.JoinAll(ctx, tasks)
		return err
	})
	// Output:
	// worker 0 in; free units: 1
	// worker 1 in; free units: 0
	// worker 0 out
	// worker 1 out
	// worker 2 in; free units: 0
	// worker 3 in; free units: 0
	// worker 2 out
	// worker 3 out
}

func ExampleReentrant() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		var mu lock.Reentrant
		var visit func(ctx context.Context, depth int) error
		visit = func(ctx context.Context, depth int) error {
			if err := mu.Acquire(ctx); err != nil { // re-entry by the owner
				return err
			}
			defer mu.Release(ctx)
			fmt.Println("depth", depth)
			if depth < 2 {
				return visit(ctx, depth+1)
			}
			return nil
		}
		visit(ctx, 0)
		fmt.Println("locked after:", mu.Locked())
		return nil
	})
	// Output:
	// depth 0
	// depth 1
	// depth 2
	// locked after: false
}
