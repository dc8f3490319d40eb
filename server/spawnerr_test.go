package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

// failingSpawner fails its first Spawn, then runs handlers with gevent.Go.
type failingSpawner struct{ calls int }

var errSpawn = errors.New("spawn failed")

func (f *failingSpawner) Spawn(ctx context.Context, fn func(context.Context) error, opts ...gevent.SpawnOption) (*gevent.Greenlet[struct{}], error) {
	f.calls++
	if f.calls == 1 {
		return nil, errSpawn
	}
	return gevent.Go(ctx, fn, opts...), nil
}
func (f *failingSpawner) Full() bool                                     { return false }
func (f *failingSpawner) WaitAvailable(ctx context.Context) (int, error) { return 1, nil }

// A handler that could not be started (gevent's test_error_in_spawn) costs
// its connection only, which is closed: the server logs the error, backs
// off as after an accept error, and serves the next connection.
func TestSpawnErrorKeepsServing(t *testing.T) {
	failAfterT(t)
	var delays int
	defer server.SetAcceptDelayHook(func(d time.Duration) { delays++ })()
	runHub(t, func(ctx context.Context) error {
		srv := &server.StreamServer{ErrorLog: quiet, Pool: &failingSpawner{},
			Handler: func(ctx context.Context, c net.Conn) { _, _ = io.WriteString(c, "hi") }}
		addr, sg := serve(ctx, t, srv)
		for i, want := range []string{"", "hi"} {
			c := dial(ctx, t, addr)
			got := readAll(t, c)
			c.Close()
			if string(got) != want {
				t.Errorf("connection %d read %q, want %q", i, got, want)
			}
		}
		if !sg.Ready() {
			srv.Close()
		}
		if err, _ := sg.Get(ctx); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
		return nil
	})
	if delays != 1 {
		t.Errorf("back-offs after the failed spawn = %d, want 1", delays)
	}
}

// The same for a DatagramServer: the datagram whose handler could not
// start is dropped, the next one is handled.
func TestDatagramSpawnErrorKeepsServing(t *testing.T) {
	failAfterT(t)
	runHub(t, func(ctx context.Context) error {
		pc, err := socket.ListenPacket(ctx, "udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		got := make(chan string, 2)
		srv := &server.DatagramServer{ErrorLog: quiet, Pool: &failingSpawner{},
			Handler: func(ctx context.Context, data []byte, addr net.Addr) { got <- string(data) }}
		sg := gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(ctx, pc), nil })
		c, err := socket.Dial(ctx, "udp", pc.LocalAddr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		// Loopback delivers both, in order: the first is dropped with its
		// failed spawn, the second is handled.
		for _, d := range []string{"d0", "d1"} {
			if _, err := io.WriteString(c, d); err != nil {
				return err
			}
		}
		first, err := gevent.Blocking(ctx, func(context.Context) (string, error) {
			select {
			case d := <-got:
				return d, nil
			case <-time.After(10 * time.Second):
				return "", errors.New("no datagram handled after the failed spawn")
			}
		})
		if err != nil {
			return err
		}
		if first != "d1" {
			t.Errorf("handled %q, want d1 (d0's spawn failed)", first)
		}
		srv.Close()
		if err, _ := sg.Get(ctx); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
		return nil
	})
}

// failAfterT fails a hung test instead of letting it hang.
func failAfterT(t *testing.T) {
	t.Helper()
	name := t.Name()
	tm := time.AfterFunc(20*time.Second, func() { panic(name + ": still running after 20s (hung)") })
	t.Cleanup(func() { tm.Stop() })
}
