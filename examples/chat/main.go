// Command chat runs a line-based chat server whose broadcasts go through one
// queue per client (a writer greenlet per connection drains it), and a few
// scripted clients that join and talk; then the server shuts down, and each
// client gets its last lines and a goodbye. It prints what each client heard
// and exits.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/queue"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

// room is the chat's state. All its users are greenlets of one hub, so the
// map needs no lock: between two switch points a greenlet runs alone.
type room struct {
	members map[string]*queue.Queue[string]
}

// broadcast queues line for every member but from. Put never waits: the
// queues are unbounded, so a slow reader never holds up the others.
func (r *room) broadcast(ctx context.Context, from, line string) {
	for name, q := range r.members {
		if name != from {
			q.Put(ctx, line)
		}
	}
}

// goodbye is the server's last line to each client when it shuts down.
const goodbye = "* server shutting down, bye"

// handle serves one client: the first line is its name, every other line
// is said to the room. When the server shuts down, the handler stops
// reading, the client gets what is queued for it and a goodbye, and the
// connection closes.
func (r *room) handle(ctx context.Context, c net.Conn) {
	// Wake the reader below if the server shuts down (it is usually
	// waiting for the client's next line).
	defer server.OnShutdown(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })()
	in := bufio.NewScanner(c)
	if !in.Scan() {
		return
	}
	name := in.Text()
	q := queue.New[string](0)
	r.members[name] = q
	// The writer greenlet owns the connection's write side.
	writer := gevent.Go(ctx, func(ctx context.Context) error {
		for {
			line, err := q.Get(ctx)
			if err != nil {
				return nil // shut down: the client left
			}
			if _, err := fmt.Fprintln(c, line); err != nil {
				return nil // the client has gone
			}
		}
	})
	q.Put(ctx, "welcome "+name)
	r.broadcast(ctx, name, "* "+name+" joined")
	for in.Scan() {
		r.broadcast(ctx, name, name+": "+in.Text())
	}
	delete(r.members, name)
	r.broadcast(ctx, name, "* "+name+" left")
	if server.ShuttingDown(ctx) {
		q.Put(ctx, goodbye)
	}
	q.Shutdown(false) // the writer sends what is queued, then ends
	writer.Join(ctx)
}

func main() {
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		r := &room{members: map[string]*queue.Queue[string]{}}
		l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &server.StreamServer{Handler: r.handle}
		gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(ctx, l), nil })
		fmt.Printf("chat: serving on %s\n", l.Addr())

		names := []string{"alice", "bob", "carol"}
		var allHere event.Event
		var allHeard event.Event
		njoined, nheard := 0, 0
		heard := map[string][]string{}
		byes := 0
		var tasks []gevent.Task
		for _, name := range names {
			tasks = append(tasks, gevent.Go(ctx, func(ctx context.Context) error {
				c, err := socket.Dial(ctx, "tcp", l.Addr().String())
				if err != nil {
					return err
				}
				defer c.Close()
				in := bufio.NewScanner(c)
				fmt.Fprintln(c, name)
				if !in.Scan() || in.Text() != "welcome "+name {
					return errors.New(name + ": no welcome")
				}
				if njoined++; njoined == len(names) {
					allHere.Set()
				}
				allHere.Wait(ctx) // everyone is in the room before anyone talks
				fmt.Fprintf(c, "hello from %s\n", name)
				fmt.Fprintf(c, "%s says bye\n", name)
				// Hear the two lines of each of the others, then stay
				// until the server says goodbye and closes.
				for want := 2 * (len(names) - 1); in.Scan(); {
					switch line := in.Text(); {
					case line == goodbye:
						byes++
					case !strings.HasPrefix(line, "*"):
						heard[name] = append(heard[name], line)
						if want--; want == 0 {
							if nheard++; nheard == len(names) {
								allHeard.Set()
							}
						}
					}
				}
				return nil
			}))
		}
		// Until every client has heard the others, or one failed.
		waitFor := []gevent.Waitable{&allHeard}
		for _, t := range tasks {
			waitFor = append(waitFor, t)
		}
		if _, err := gevent.Wait(ctx, waitFor, gevent.Count(1)); err != nil {
			return err
		}
		if !allHeard.IsSet() {
			_, err := gevent.JoinAll(ctx, tasks, gevent.RaiseError())
			return fmt.Errorf("a client ended early: %v", err)
		}
		// Every handler is waiting for its client's next line: each ends
		// at once, so Shutdown needs none of its grace period.
		sctx, cancel := gevent.WithTimeout(ctx, time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return err
		}
		if _, err := gevent.JoinAll(ctx, tasks, gevent.RaiseError()); err != nil {
			return err
		}
		delivered := 0
		for _, name := range names {
			lines := slices.Clone(heard[name])
			slices.Sort(lines)
			delivered += len(lines)
			fmt.Printf("%s heard: %s\n", name, strings.Join(lines, " | "))
		}
		fmt.Printf("chat: %d clients, %d messages said, %d delivered through per-client queues, %d goodbyes at shutdown\n",
			len(names), 2*len(names), delivered, byes)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
}
