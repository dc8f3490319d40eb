// Command debug shows what a person sees when a gevent program is stuck:
// the greenlet dump served by debug.Handler (every greenlet, indented
// under its parent, with what it waits on and for how long), what the
// handler answers while a greenlet holds the hub (a time.Sleep that never
// lets the hub run: the stall monitor names it), and the wait graph that ErrLoopExit carries when
// nothing can ever wake the waits.
//
// It serves the handler on 127.0.0.1:0, as a program would on a private
// port, and fetches from it with net/http. It runs in about a second and
// exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/debug"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/lock"
	"github.com/gevent-go/gevent/queue"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run serves the handler, makes the stuck greenlets, the stall and the
// deadlock, and writes what each shows to out.
func run(out io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/gevent/", debug.Handler()) // nothing is registered on import
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/debug/gevent/"
	reported := make(chan struct{}, 1) // the stall monitor reported a hold

	err = gevent.Run(context.Background(), func(ctx context.Context) error {
		// Stuck greenlets: a consumer of a queue nobody feeds, and a
		// worker waiting for a lock whose holder waits for an event.
		jobs := queue.New[string](10)
		var mu lock.Reentrant
		var configLoaded event.Event
		gevent.Go(ctx, func(ctx context.Context) error {
			_, err := jobs.Get(ctx)
			return err
		}, gevent.WithName("consumer"))
		gevent.Go(ctx, func(ctx context.Context) error {
			if err := mu.Acquire(ctx); err != nil {
				return err
			}
			defer mu.Release(ctx)
			return configLoaded.Wait(ctx)
		}, gevent.WithName("holder"))
		gevent.Go(ctx, func(ctx context.Context) error {
			if err := mu.Acquire(ctx); err != nil {
				return err
			}
			mu.Release(ctx)
			return nil
		}, gevent.WithName("worker"))
		if err := gevent.Sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}

		// What an operator sees: fetched from outside the hub, as a
		// browser would, through Blocking (the main greenlet parks).
		dump, err := fetch(ctx, base+"?hub=app&state=parked")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "$ curl '%s?hub=app&state=parked'\n%s\n", base, dump)

		// A stall: a greenlet that blocks the hub's goroutine (time.Sleep
		// instead of gevent.Sleep). The handler still answers, within
		// its timeout, that the hub does not respond, and names the
		// holder. (So that the run shows the same thing every time, the
		// request is made once the stall monitor has reported the hold,
		// and the greenlet sleeps until it is answered.)
		answer := make(chan string, 1)
		var answered atomic.Bool
		gevent.Go(ctx, func(ctx context.Context) error {
			go func() {
				<-reported
				s, err := get(base + "?hub=app&timeout=100ms")
				if err != nil {
					s = err.Error()
				}
				answer <- s
				answered.Store(true)
			}()
			for !answered.Load() {
				time.Sleep(10 * time.Millisecond) // the bug: holds the hub
			}
			return nil
		}, gevent.WithName("stall"))
		if err := gevent.Sleep(ctx, 0); err != nil { // let it run
			return err
		}
		stalled, err := gevent.Blocking(ctx, func(context.Context) (string, error) { return <-answer, nil })
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "$ curl '%s?hub=app&timeout=100ms'   # while a greenlet calls time.Sleep\n%s\n", base, stalled)

		// The stall monitor's reports, after the hold ended.
		if err := gevent.Sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
		stalls, err := fetch(ctx, base+"stalls")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "$ curl '%sstalls'\n%s\n", base, stalls)
		configLoaded.Set()
		jobs.Put(ctx, "done")
		return nil
	}, gevent.WithHubName("app"),
		// The stall monitor (gevent's max_blocking_time) reports what
		// holds the hub; its events are kept for the handler. Its default
		// report, a log line, is replaced here by a signal.
		gevent.WithStallMonitor(50*time.Millisecond, gevent.MonitorReport(func(e gevent.StallEvent) {
			if !e.Ended {
				select {
				case reported <- struct{}{}:
				default:
				}
			}
		})))
	if err != nil {
		return err
	}

	// A deadlock: the main greenlet joins a greenlet that waits for it.
	err = gevent.Run(context.Background(), func(ctx context.Context) error {
		var main gevent.Task = gevent.Current(ctx)
		child := gevent.Go(ctx, func(ctx context.Context) error {
			_, err := gevent.Wait(ctx, []gevent.Task{main})
			return err
		}, gevent.WithName("child"))
		return child.Join(ctx)
	}, gevent.WithHubName("deadlock"))
	if !errors.Is(err, gevent.ErrLoopExit) {
		return fmt.Errorf("deadlock: err = %v, want ErrLoopExit", err)
	}
	fmt.Fprintf(out, "$ go run ./deadlock\n%v\n", err)
	return nil
}

// fetch gets url from a worker goroutine while the calling greenlet parks.
func fetch(ctx context.Context, url string) (string, error) {
	return gevent.Blocking(ctx, func(context.Context) (string, error) { return get(url) })
}

// get fetches url with net/http from a plain goroutine.
func get(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
