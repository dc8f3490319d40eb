package debug_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/debug"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/queue"
)

// A greenlet dumps its own hub: every live greenlet with what it waits on.
func ExampleCaptureHub() {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		var ready event.Event
		jobs := queue.New[int](4)
		gevent.Go(ctx, ready.Wait, gevent.WithName("waiter"))
		gevent.Go(ctx, func(ctx context.Context) error {
			_, err := jobs.Get(ctx)
			return err
		}, gevent.WithName("consumer"))
		gevent.Sleep(ctx, 0) // let them park

		for _, g := range debug.CaptureHub(ctx).Hubs[0].Greenlets {
			fmt.Print(g.Name, " ", g.State)
			if g.Wait != nil {
				fmt.Print(" on ", g.Wait.Kind, " ", g.Wait.Object)
			}
			fmt.Println()
		}
		ready.Set()
		return jobs.Put(ctx, 1)
	})
	// Output:
	// main running
	// waiter parked on event event.Event(clear, 1 waiting)
	// consumer parked on queue.get queue(len 0/4, 1 getters, 0 putters, 0 unfinished)
}

// The handler serves the dump of every hub, here filtered to the parked
// greenlets of one hub.
func ExampleHandler() {
	srv := httptest.NewServer(debug.Handler())
	defer srv.Close()
	gevent.Run(context.Background(), func(ctx context.Context) error {
		var ev event.Event
		gevent.Go(ctx, ev.Wait, gevent.WithName("stuck"))
		gevent.Sleep(ctx, 0)
		text, _ := gevent.Blocking(ctx, func(context.Context) (string, error) {
			resp, err := http.Get(srv.URL + "/?hub=example&state=parked")
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			return string(b), err
		})
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(line, "stuck") {
				fmt.Println(line[:strings.Index(line, " for ")])
			}
		}
		ev.Set()
		return nil
	}, gevent.WithHubName("example"))
	// Output:
	//     stuck #1 parked on event event.Event(clear, 1 waiting)
}
