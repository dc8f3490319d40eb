package gevent_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gevent-go/gevent"
)

// A time.Sleep in a greenlet blocks its whole hub (gevent.Sleep is the
// greenlet's sleep). The stall monitor names the culprit, with its stack,
// and reports when the hold ends.
func ExampleWithStallMonitor() {
	report := func(e gevent.StallEvent) {
		if e.Ended {
			fmt.Printf("%s released the hub\n", e.Name)
			return
		}
		fmt.Printf("%s holds the hub, in time.Sleep: %v\n", e.Name, strings.Contains(e.Stack, "time.Sleep("))
	}
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		g := gevent.Go(ctx, func(ctx context.Context) error {
			time.Sleep(300 * time.Millisecond) // should be gevent.Sleep(ctx, ...)
			return nil
		}, gevent.WithName("sleeper"))
		return g.Join(ctx)
	}, gevent.WithStallMonitor(100*time.Millisecond, gevent.MonitorReport(report)))
	fmt.Println(err)
	// Output:
	// sleeper holds the hub, in time.Sleep: true
	// sleeper released the hub
	// <nil>
}
