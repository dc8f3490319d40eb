// Command demo shows the core of gevent-go: spawning greenlets, links,
// timeouts, kill and joinall, then a cooperative echo server and its
// clients, all on one hub. It exits by itself.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

func main() {
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		// Greenlets run in spawn order, each until its next switch point.
		var order []string
		for _, name := range []string{"a", "b", "c"} {
			gevent.Go(ctx, func(ctx context.Context) error {
				order = append(order, name)
				return nil
			})
		}
		gevent.Yield(ctx)
		fmt.Println("ran in order:", order)

		// A typed result, and a link that runs in a new greenlet when the
		// greenlet ends (it may block; RawLink callbacks run on the hub and
		// must not).
		square := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			if err := gevent.Sleep(ctx, 10*time.Millisecond); err != nil {
				return 0, err
			}
			return 7 * 7, nil
		}, gevent.WithName("square"))
		square.Link(func(ctx context.Context, g *gevent.Greenlet[int]) {
			fmt.Printf("link: %s ended with %d\n", g.Name(), g.Value())
		})
		v, err := square.Get(ctx)
		fmt.Println("get:", v, err)

		// Kill: a sleeping greenlet wakes at once with the kill's cause and
		// its deferred calls run.
		sleeper := gevent.Go(ctx, func(ctx context.Context) error {
			defer fmt.Println("sleeper: cleaned up")
			return gevent.Sleep(ctx, time.Hour)
		})
		gevent.Yield(ctx)
		sleeper.Kill(ctx)
		fmt.Println("killed: dead =", sleeper.Dead(), "successful =", sleeper.Successful(),
			"err =", sleeper.Err())

		// Timeouts are contexts with identity.
		tctx, cancel := gevent.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		err = gevent.Sleep(tctx, time.Hour)
		fmt.Println("timed out:", errors.Is(err, context.DeadlineExceeded), err)

		fallback, err := gevent.WithTimeoutFallback(ctx, 5*time.Millisecond,
			func(ctx context.Context) (string, error) {
				return "slow", gevent.Sleep(ctx, time.Second)
			}, "fallback")
		fmt.Println("with fallback:", fallback, err)

		// JoinAll with RaiseError reports the first greenlet to fail in time.
		slow := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			gevent.Sleep(ctx, 30*time.Millisecond)
			return 0, errors.New("slow failure")
		})
		fast := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			gevent.Sleep(ctx, 5*time.Millisecond)
			return 0, errors.New("fast failure")
		})
		_, err = gevent.JoinAll(ctx, []*gevent.Greenlet[int]{slow, fast}, gevent.RaiseError())
		fmt.Println("joinall:", err)

		return echo(ctx)
	}, gevent.WithErrorHandler(func(t gevent.Task, err error) {})) // failures are expected here
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("done")
}

// echo serves an echo server on loopback and talks to it from three client
// greenlets of the same hub: every socket read and write parks only its own
// greenlet. Shutdown then stops the server and its handlers.
func echo(ctx context.Context) error {
	l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &server.StreamServer{Handler: func(ctx context.Context, c net.Conn) {
		io.Copy(c, c)
	}}
	gevent.Go(ctx, func(ctx context.Context) error { return srv.Serve(ctx, l) })
	var clients []*gevent.Greenlet[string]
	for _, who := range []string{"ann", "bob", "cid"} {
		clients = append(clients, gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			c, err := socket.Dial(ctx, "tcp", l.Addr().String())
			if err != nil {
				return "", err
			}
			defer c.Close()
			if _, err := fmt.Fprintf(c, "hello from %s\n", who); err != nil {
				return "", err
			}
			line, err := bufio.NewReader(c).ReadString('\n')
			return strings.TrimSpace(line), err
		}))
	}
	if _, err := gevent.JoinAll(ctx, clients, gevent.RaiseError()); err != nil {
		return err
	}
	for _, c := range clients {
		fmt.Println("echoed:", c.Value()) // JoinAll kept the type: no assertion
	}
	return srv.Shutdown(ctx)
}
