package socket_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/gevent-go/gevent/sim"
	"github.com/gevent-go/gevent/socket"
)

// TestRealIORefusedInSimulation: every entry point to real sockets panics
// in a simulation, and AllowRealIO admits them.
func TestRealIORefusedInSimulation(t *testing.T) {
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	for name, call := range map[string]func(ctx context.Context){
		"Dial":         func(ctx context.Context) { socket.Dial(ctx, "tcp", "127.0.0.1:1") },
		"Listen":       func(ctx context.Context) { socket.Listen(ctx, "tcp", "127.0.0.1:0") },
		"ListenPacket": func(ctx context.Context) { socket.ListenPacket(ctx, "udp", "127.0.0.1:0") },
		"WrapConn":     func(ctx context.Context) { socket.WrapConn(ctx, c1) },
	} {
		_, err := sim.Run(t.Context(), sim.Options{}, func(ctx context.Context) error {
			call(ctx)
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "gevent/socket: real I/O in a simulation ("+name+")") {
			t.Errorf("%s in a simulation: %v, want the refusal", name, err)
		}
	}
	_, err := sim.Run(t.Context(), sim.Options{AllowRealIO: true}, func(ctx context.Context) error {
		ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		return ln.Close()
	})
	if err != nil {
		t.Fatalf("AllowRealIO: %v", err)
	}
}
