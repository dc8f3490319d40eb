// Command chat runs a line-based chat server whose broadcasts go through one
// queue per client (a writer greenlet per connection drains it), and a few
// scripted clients that join, talk and leave. It prints what each client
// heard and exits.
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

// handle serves one client: the first line is its name, every other line
// is said to the room.
func (r *room) handle(ctx context.Context, c net.Conn) {
	in := bufio.NewScanner(c)
	if !in.Scan() {
		return
	}
	name := in.Text()
	q := queue.New[string](0)
	r.members[name] = q
	// The writer greenlet owns the connection's write side.
	writer := gevent.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
		for {
			line, err := q.Get(ctx)
			if err != nil {
				return struct{}{}, nil // shut down: the client left
			}
			if _, err := fmt.Fprintln(c, line); err != nil {
				return struct{}{}, nil // the client has gone
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
		njoined := 0
		heard := map[string][]string{}
		var tasks []gevent.Task
		for _, name := range names {
			tasks = append(tasks, gevent.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
				c, err := socket.Dial(ctx, "tcp", l.Addr().String())
				if err != nil {
					return struct{}{}, err
				}
				defer c.Close()
				in := bufio.NewScanner(c)
				fmt.Fprintln(c, name)
				if !in.Scan() || in.Text() != "welcome "+name {
					return struct{}{}, errors.New(name + ": no welcome")
				}
				if njoined++; njoined == len(names) {
					allHere.Set()
				}
				allHere.Wait(ctx) // everyone is in the room before anyone talks
				fmt.Fprintf(c, "hello from %s\n", name)
				fmt.Fprintf(c, "%s says bye\n", name)
				// Hear the two lines of each of the others, then leave.
				for want := 2 * (len(names) - 1); want > 0 && in.Scan(); {
					if line := in.Text(); !strings.HasPrefix(line, "*") {
						heard[name] = append(heard[name], line)
						want--
					}
				}
				return struct{}{}, nil
			}))
		}
		if _, err := gevent.JoinAll(ctx, tasks, gevent.RaiseError()); err != nil {
			return err
		}
		if err := srv.Shutdown(ctx); err != nil {
			return err
		}
		delivered := 0
		for _, name := range names {
			lines := slices.Clone(heard[name])
			slices.Sort(lines)
			delivered += len(lines)
			fmt.Printf("%s heard: %s\n", name, strings.Join(lines, " | "))
		}
		fmt.Printf("chat: %d clients, %d messages said, %d delivered through per-client queues\n",
			len(names), 2*len(names), delivered)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
}
