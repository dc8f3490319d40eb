package queue_test

import (
	"context"
	"fmt"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/queue"
)

// A bounded work queue with two workers; the producer waits for all the work
// to be done with Join.
func ExampleQueue() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		q := queue.New[int](2)
		for w := range 2 {
			gevent.SpawnRaw(ctx, func(ctx context.Context) {
				for n := range q.All(ctx) {
					fmt.Printf("worker %d: %d squared is %d\n", w, n, n*n)
					gevent.Yield(ctx) // pretend to work
					q.TaskDone()
				}
			})
		}
		for n := 1; n <= 4; n++ {
			q.Put(ctx, n) // waits while two items are queued
		}
		q.Join(ctx)
		fmt.Println("all done")
		q.Shutdown(false) // ends the workers' loops
		return nil
	})
	// Output:
	// worker 0: 1 squared is 1
	// worker 1: 2 squared is 4
	// worker 0: 3 squared is 9
	// worker 1: 4 squared is 16
	// all done
}

// A Channel is a rendezvous: Put returns only once a Get has taken the item.
func ExampleChannel() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		var ch queue.Channel[string]
		gevent.SpawnRaw(ctx, func(ctx context.Context) {
			for _, s := range []string{"hello", "world"} {
				fmt.Println("put", s)
				ch.Put(ctx, s)
				fmt.Println("taken", s)
			}
			ch.Shutdown(false)
		})
		for s := range ch.All(ctx) {
			fmt.Println("got", s)
		}
		return nil
	})
	// Output:
	// put hello
	// got hello
	// taken hello
	// put world
	// got world
	// taken world
}

func ExampleLifoQueue() {
	var q queue.LifoQueue[string] // the zero value is unbounded
	for _, s := range []string{"first", "second", "third"} {
		q.TryPut(s)
	}
	for s, ok := q.TryGet(); ok; s, ok = q.TryGet() {
		fmt.Println(s)
	}
	// Output:
	// third
	// second
	// first
}

func ExamplePriorityQueue() {
	type job struct {
		prio int
		name string
	}
	q := queue.NewPriority(0, func(a, b job) int { return a.prio - b.prio })
	q.TryPut(job{3, "sweep"})
	q.TryPut(job{1, "fire"})
	q.TryPut(job{2, "mail"})
	for j, ok := q.TryGet(); ok; j, ok = q.TryGet() {
		fmt.Println(j.prio, j.name)
	}
	// Output:
	// 1 fire
	// 2 mail
	// 3 sweep
}

func ExampleNewOrdered() {
	q := queue.NewOrdered[float64](0)
	for _, f := range []float64{2.5, -1, 10} {
		q.TryPut(f)
	}
	lowest, _ := q.TryPeek()
	fmt.Println(lowest, q.Len())
	// Output: -1 3
}
