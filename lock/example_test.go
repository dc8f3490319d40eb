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

// A BoundedSemaphore catches a Release that no Acquire matched: the
// caller's bug panics instead of raising the bound silently.
func ExampleBoundedSemaphore() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		sem := lock.NewBoundedSemaphore(1)
		if err := sem.Acquire(ctx); err != nil {
			return err
		}
		sem.Release()
		fmt.Println("free units:", sem.Value())
		defer func() { fmt.Println("recovered:", recover()) }()
		sem.Release() // one Release too many
		return nil
	})
	// Output:
	// free units: 1
	// recovered: gevent/lock: semaphore released too many times
}

// Dummy stands in for a semaphore where code takes one but should run
// unbounded: every Acquire succeeds at once.
func ExampleDummy() {
	type limiter interface {
		Acquire(ctx context.Context) error
		Release()
	}
	work := func(ctx context.Context, l limiter, n int) int {
		inside := 0
		for range n {
			if l.Acquire(ctx) == nil {
				inside++
			}
		}
		for range inside {
			l.Release()
		}
		return inside
	}
	gevent.Run(context.Background(), func(ctx context.Context) error {
		fmt.Println("acquired with Dummy:", work(ctx, lock.Dummy{}, 1000))
		return nil
	})
	// Output:
	// acquired with Dummy: 1000
}
