package reuseport

import (
	"context"
	"net"
	"testing"
)

// With Control, a second TCP listener and a second UDP socket bind the
// address of the first (where Supported); without it, the bind fails.
func TestControlSharesTheAddress(t *testing.T) {
	lc := net.ListenConfig{Control: Control}
	ctx := context.Background()
	l1, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if !Supported {
		if err == nil {
			l1.Close()
			t.Fatal("Control succeeded where balancing is not supported")
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close()
	l2, err := lc.Listen(ctx, "tcp", l1.Addr().String())
	if err != nil {
		t.Fatalf("second listener with SO_REUSEPORT: %v", err)
	}
	l2.Close()
	var plain net.ListenConfig
	if l3, err := plain.Listen(ctx, "tcp", l1.Addr().String()); err == nil {
		l3.Close()
		t.Fatal("a listener without SO_REUSEPORT bound the same address")
	}

	p1, err := lc.ListenPacket(ctx, "udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer p1.Close()
	p2, err := lc.ListenPacket(ctx, "udp", p1.LocalAddr().String())
	if err != nil {
		t.Fatalf("second UDP socket with SO_REUSEPORT: %v", err)
	}
	p2.Close()
}
