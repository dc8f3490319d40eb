package sim_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/sim"
	"github.com/gevent-go/gevent/socket"
)

// echoPartition is the example test's program: a server.StreamServer echo
// on host "server", clients on hosts "a", "b" and "c" that each send ten
// requests of seeded sizes and check every reply (1 s read deadlines), and
// a partition between the server and c from 200 ms to 3 s. It succeeds
// when a and b get every echo and c's client times out. With plantedBug,
// the clients read each reply with one Read (assuming a reply arrives in
// one piece), a bug that only the seeds that split a reply in two find.
func echoPartition(plantedBug bool) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{Latency: 5 * time.Millisecond, Jitter: 5 * time.Millisecond, MSS: 512})
		srvHost := n.Host("server")
		srv := &server.StreamServer{Handler: func(ctx context.Context, conn net.Conn) {
			io.Copy(conn, conn)
		}}
		l, err := socket.Listen(srvHost.Context(ctx), "tcp", ":7")
		if err != nil {
			return err
		}
		srvHost.Go(ctx, "serve", func(ctx context.Context) error { return closed(srv.Serve(ctx, l)) })
		defer srv.Close()

		rnd := sim.Rand(ctx)
		// The clients' errors are their values: c's timeout is expected.
		var clients []*gevent.Greenlet[error]
		for _, name := range []string{"a", "b", "c"} {
			h := n.Host(name)
			sizes := make([]int, 10)
			for i := range sizes {
				sizes[i] = 100 + rnd.IntN(415) // a reply above the MSS (512) comes in two segments
			}
			clients = append(clients, gevent.Spawn(h.Context(ctx), func(ctx context.Context) (error, error) {
				if err := echoClient(ctx, sizes, plantedBug); err != nil {
					return fmt.Errorf("client %s: %w", name, err), nil
				}
				return nil, nil
			}))
		}
		gevent.Sleep(ctx, 200*time.Millisecond)
		c := n.Host("c")
		n.Partition(srvHost, c)
		gevent.Sleep(ctx, 3*time.Second)
		n.Repair(srvHost, c)
		for i, g := range clients {
			err, gerr := g.Get(ctx)
			if gerr != nil {
				return gerr
			}
			if i < 2 && err != nil {
				return err
			}
			if i == 2 && !errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("%v (want a timeout across the partition)", err)
			}
		}
		return nil
	}
}

// echoClient sends one request of each size and checks its echo.
func echoClient(ctx context.Context, sizes []int, plantedBug bool) error {
	conn, err := socket.Dial(ctx, "tcp", "server:7")
	if err != nil {
		return err
	}
	defer conn.Close()
	for i, size := range sizes {
		msg := make([]byte, size)
		for j := range msg {
			msg[j] = byte('a' + (i+j)%26)
		}
		if _, err := conn.Write(msg); err != nil {
			return err
		}
		conn.SetReadDeadline(gevent.Now(ctx).Add(time.Second))
		reply := make([]byte, size)
		if plantedBug {
			var k int
			k, err = conn.Read(reply) // the bug: a reply may come in pieces
			if err == nil && k != size {
				return fmt.Errorf("request %d: echo of %d bytes came back as %d", i, size, k)
			}
		} else {
			_, err = io.ReadFull(conn, reply)
		}
		if err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		if string(reply) != string(msg) {
			return fmt.Errorf("request %d: wrong echo", i)
		}
		gevent.Sleep(ctx, 50*time.Millisecond)
	}
	return nil
}

// TestEchoPartition is the example test: 100 seeds of echoPartition
// (geventtest.Sim is sim.Test). Set GEVENT_SIM_PLANTED_BUG=1 to plant the
// bug: a few seeds fail, and the failure names the seed to replay
// (GEVENT_SIM_SEED=N).
func TestEchoPartition(t *testing.T) {
	geventtest.Sim(t, echoPartition(os.Getenv("GEVENT_SIM_PLANTED_BUG") == "1"), sim.Seeds(100))
}
