package sim_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/sim"
	"github.com/gevent-go/gevent/socket"
)

// An echo server and a client on two hosts of a simulated network, in a
// simulation: unmodified socket and server code, virtual time.
func ExampleNet() {
	_, err := sim.Run(context.Background(), sim.Options{Seed: 1}, func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{Latency: 10 * time.Millisecond})
		db, app := n.Host("db"), n.Host("app")
		srv := &server.StreamServer{Addr: ":5432", Handler: func(ctx context.Context, conn net.Conn) {
			io.Copy(conn, conn)
		}}
		db.Go(ctx, "server", srv.ListenAndServe)
		defer srv.Close()
		gevent.Yield(ctx) // the server listens

		conn, err := socket.Dial(app.Context(ctx), "tcp", "db:5432")
		if err != nil {
			return err
		}
		defer conn.Close()
		fmt.Println(conn.LocalAddr(), "->", conn.RemoteAddr(), "after", sim.Elapsed(ctx))
		conn.Write([]byte("hello"))
		reply := make([]byte, 5)
		if _, err := io.ReadFull(conn, reply); err != nil {
			return err
		}
		fmt.Printf("%s after %v\n", reply, sim.Elapsed(ctx))
		return nil
	})
	fmt.Println(err)
	// Output:
	// 10.0.0.2:49152 -> 10.0.0.1:5432 after 20ms
	// hello after 40ms
	// <nil>
}

// A crash resets the host's connections; Restart runs its software again.
func ExampleHost_Crash() {
	_, err := sim.Run(context.Background(), sim.Options{Seed: 1}, func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{})
		srvHost, client := n.Host("server"), n.Host("client")
		srvHost.Go(ctx, "greeter", func(ctx context.Context) error {
			l, err := socket.Listen(ctx, "tcp", ":80")
			if err != nil {
				return err
			}
			for {
				conn, err := l.Accept()
				if err != nil {
					return err
				}
				conn.Write([]byte("hi"))
			}
		})
		gevent.Yield(ctx)
		conn, err := socket.Dial(client.Context(ctx), "tcp", "server:80")
		if err != nil {
			return err
		}
		buf := make([]byte, 2)
		io.ReadFull(conn, buf)
		fmt.Printf("%s\n", buf)

		srvHost.Crash()
		_, err = conn.Read(buf)
		fmt.Println(err)
		_, err = socket.Dial(client.Context(ctx), "tcp", "server:80")
		fmt.Println(err)

		srvHost.Restart(ctx)
		gevent.Yield(ctx)
		conn, err = socket.Dial(client.Context(ctx), "tcp", "server:80")
		if err != nil {
			return err
		}
		io.ReadFull(conn, buf)
		fmt.Printf("%s again\n", buf)
		return nil
	})
	fmt.Println(err)
	// Output:
	// hi
	// read tcp 10.0.0.2:49152->10.0.0.1:80: read: connection reset by peer
	// dial tcp 10.0.0.1:80: connect: connection refused
	// hi again
	// <nil>
}

// The example test with its bug planted: of seeds 1 to 100, a few split a
// reply in two, which a client that reads a reply with one Read takes for
// a short echo. sim.Test prints the failing seed with its replay line
// (this example prints it the same way), and the seed alone replays the
// failure exactly: the same error, the same trace hash.
func ExampleTest_plantedBug() {
	ctx := context.Background()
	for seed := uint64(1); seed <= 100; seed++ {
		r, err := sim.Run(ctx, sim.Options{Seed: seed}, echoPartition(true))
		if err == nil {
			continue
		}
		fmt.Printf("seed %d: %v (replay: GEVENT_SIM_SEED=%d)\n", seed, err, seed)
		r2, err2 := sim.Run(ctx, sim.Options{Seed: seed}, echoPartition(true))
		fmt.Printf("replayed: same error %v, same hash %v\n", err2 != nil && err2.Error() == err.Error(), r2.Hash == r.Hash)
		break
	}
	// Output:
	// seed 6: client c: request 0: echo of 513 bytes came back as 512 (want a timeout across the partition) (replay: GEVENT_SIM_SEED=6)
	// replayed: same error true, same hash true
}

// Datagrams over a lossy link: which ones arrive, and in which order those
// that arrive at the same instant are delivered, is the seed's choice, the
// same on every replay of the run.
func ExamplePacketConn() {
	for _, seed := range []uint64{1, 1, 2} {
		sim.Run(context.Background(), sim.Options{Seed: seed}, func(ctx context.Context) error {
			n := sim.NewNet(sim.NetOptions{Loss: 0.3})
			rx, _ := socket.ListenPacket(n.Host("b").Context(ctx), "udp", ":53")
			tx, _ := socket.Dial(n.Host("a").Context(ctx), "udp", "b:53")
			for i := range 10 {
				tx.Write([]byte{byte('0' + i)})
			}
			var got []byte
			buf := make([]byte, 1)
			for {
				rx.SetReadDeadline(gevent.Now(ctx).Add(time.Second))
				if _, _, err := rx.ReadFrom(buf); err != nil {
					break
				}
				got = append(got, buf[0])
			}
			fmt.Printf("seed %d: %s\n", seed, got)
			return nil
		})
	}
	// Output:
	// seed 1: 938417
	// seed 1: 938417
	// seed 2: 3418265
}
