package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gevent-go/gevent"
)

// A Hub served on a goroutine of your choice; any goroutine spawns onto it
// through its Context and waits for results like any other.
func ExampleHub() {
	h := gevent.NewHub()
	done := make(chan error, 1)
	go func() { done <- h.Serve(context.Background()) }()

	g := gevent.Spawn(h.Context(), func(ctx context.Context) (string, error) {
		if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
			return "", err
		}
		return "computed on the hub", nil
	})
	v, err := g.Get(context.Background()) // blocks this goroutine only
	fmt.Println(v, err)

	h.Stop() // kills what is left, waits for it, and makes Serve return
	fmt.Println("Serve:", <-done)
	// Output:
	// computed on the hub <nil>
	// Serve: <nil>
}

// A Timeout is reusable and has an identity: errors.Is tells its own expiry
// from any other cancellation.
func ExampleTimeout() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		t := gevent.NewTimeout(5*time.Millisecond, nil)

		tctx := t.Start(ctx)
		err := gevent.Sleep(tctx, time.Hour)
		fmt.Println("expired:", errors.Is(err, t), t.Pending())

		tctx = t.Start(ctx) // start it again
		err = gevent.Sleep(tctx, time.Millisecond)
		t.Cancel()
		fmt.Println("in time:", err, t.Pending())
		return nil
	})
	// Output:
	// expired: true false
	// in time: <nil> false
}
