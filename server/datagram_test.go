package server_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

func TestDatagramServerEcho(t *testing.T) {
	runHub(t, func(ctx context.Context) error {
		srv := &server.DatagramServer{}
		srv.Handler = func(ctx context.Context, data []byte, addr net.Addr) {
			if gevent.Current(ctx) == nil {
				t.Errorf("datagram handler not in a greenlet")
			}
			gevent.Yield(ctx) // handlers are greenlets: they may switch
			if _, err := srv.WriteTo(ctx, bytes.ToUpper(data), addr); err != nil {
				t.Errorf("WriteTo: %v", err)
			}
		}
		pc, err := socket.ListenPacket(ctx, "udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		sg := gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(ctx, pc), nil })
		const clients = 3
		var conns []net.Conn
		for range clients {
			c, err := socket.Dial(ctx, "udp", pc.LocalAddr().String())
			if err != nil {
				return err
			}
			conns = append(conns, c)
		}
		for round := range 3 {
			for i, c := range conns {
				c.Write([]byte{'a' + byte(i), 'a' + byte(round)})
			}
			for i, c := range conns {
				b := make([]byte, 16)
				n, err := c.Read(b)
				if want := []byte{'A' + byte(i), 'A' + byte(round)}; err != nil || !bytes.Equal(b[:n], want) {
					t.Errorf("client %d round %d: read %q, %v; want %q", i, round, b[:n], err, want)
				}
			}
		}
		for _, c := range conns {
			c.Close()
		}
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown = %v", err)
		}
		if err, _ := sg.Get(ctx); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
		if _, err := srv.WriteTo(ctx, []byte("x"), pc.LocalAddr()); !errors.Is(err, net.ErrClosed) {
			t.Errorf("WriteTo after Shutdown = %v, want net.ErrClosed", err)
		}
		return nil
	})
}
