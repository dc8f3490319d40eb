package pool_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/pool"
)

// A pool of two runs the items two at a time; Imap yields the results in
// input order although later items finish first, and a failure arrives at
// its own position.
func ExamplePool() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		p := pool.NewPool(2)
		slowFirst := func(ctx context.Context, n int) (string, error) {
			if err := gevent.Sleep(ctx, time.Duration(5-n)*time.Millisecond); err != nil {
				return "", err
			}
			if n == 3 {
				return "", errors.New("three is unlucky")
			}
			return fmt.Sprint(n * n), nil
		}
		for v, err := range pool.Imap(ctx, p, slices.Values([]int{1, 2, 3, 4}), slowFirst) {
			fmt.Printf("%q %v\n", v, err)
		}
		return nil
	}, gevent.WithErrorHandler(func(gevent.Task, error) {}))
	// Output:
	// "1" <nil>
	// "4" <nil>
	// "" three is unlucky
	// "16" <nil>
}

// A Group tracks greenlets until they end: Join waits for all of them, Kill
// stops those still running.
func ExampleGroup() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		var g pool.Group
		for _, d := range []time.Duration{time.Millisecond, 2 * time.Millisecond} {
			g.Spawn(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, d) })
		}
		fmt.Println("members:", g.Len())
		fmt.Println("join:", g.Join(ctx), "members:", g.Len())

		forever, _ := g.Spawn(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		g.Kill(ctx)
		fmt.Println("killed:", forever.Dead(), forever.Err(), "members:", g.Len())
		return nil
	})
	// Output:
	// members: 2
	// join: <nil> members: 0
	// killed: true gevent: greenlet exit members: 0
}

// Map spawns one greenlet per item, at most the pool's size at once, and
// returns the results in input order.
func ExampleMap() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		double := func(_ context.Context, s string) (string, error) { return s + s, nil }
		out, err := pool.Map(ctx, pool.NewPool(3), slices.Values([]string{"a", "b", "c", "d"}), double)
		fmt.Println(out, err)
		return nil
	})
	// Output: [aa bb cc dd] <nil>
}

// The package function Spawn takes any Spawner (a *Group or a *Pool) and a
// body with a typed result, which the methods cannot offer.
func ExampleSpawn() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		for _, s := range []pool.Spawner{new(pool.Group), pool.NewPool(1)} {
			g, err := pool.Spawn(ctx, s, func(ctx context.Context) (int, error) { return 6 * 7, nil })
			if err != nil {
				return err
			}
			v, err := g.Get(ctx)
			fmt.Printf("%T: %d %v\n", s, v, err)
		}
		return nil
	})
	// Output:
	// *pool.Group: 42 <nil>
	// *pool.Pool: 42 <nil>
}

// ImapUnordered yields each result as soon as its item finishes.
func ExampleImapUnordered() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		wait := func(ctx context.Context, ms int) (int, error) {
			return ms, gevent.Sleep(ctx, time.Duration(ms)*time.Millisecond)
		}
		for v, err := range pool.ImapUnordered(ctx, pool.NewPool(3), slices.Values([]int{3, 1, 2}), wait) {
			fmt.Println(v, err)
		}
		return nil
	})
	// Output:
	// 1 <nil>
	// 2 <nil>
	// 3 <nil>
}
