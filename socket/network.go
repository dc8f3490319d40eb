package socket

import (
	"context"
	"net"

	"github.com/gevent-go/gevent/internal/core"
)

// The seam to a network that is not the kernel's (a simulated one, package
// sim): a context that carries a core.Network sends Dial, Listen and
// ListenPacket to it, and the Wrap functions pass its sockets, which already
// park greenlets, through unchanged.

// dialNetwork dials through ctx's Network; ok is false when ctx carries none.
func dialNetwork(ctx context.Context, network, address string) (c net.Conn, ok bool, err error) {
	n := core.NetworkOf(ctx)
	if n == nil {
		return nil, false, nil
	}
	c, err = n.Dial(ctx, network, address)
	return c, true, err
}

// listenNetwork listens through ctx's Network; ok is false when ctx carries
// none.
func listenNetwork(ctx context.Context, network, address string) (l net.Listener, ok bool, err error) {
	n := core.NetworkOf(ctx)
	if n == nil {
		return nil, false, nil
	}
	l, err = n.Listen(ctx, network, address)
	return l, true, err
}

// listenPacketNetwork is ListenPacket through ctx's Network; ok is false when
// ctx carries none.
func listenPacketNetwork(ctx context.Context, network, address string) (pc net.PacketConn, ok bool, err error) {
	n := core.NetworkOf(ctx)
	if n == nil {
		return nil, false, nil
	}
	pc, err = n.ListenPacket(ctx, network, address)
	return pc, true, err
}

// cooperative reports whether v already parks greenlets: a simulated
// socket (package sim), which says so with a Simulated method (as for
// refuseRealIO). The Wrap functions return it unchanged.
func cooperative(v any) bool {
	s, ok := v.(interface{ Simulated() bool })
	return ok && s.Simulated()
}
