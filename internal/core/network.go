package core

import (
	"context"
	"net"
	"time"
)

// Network is a network that is not the kernel's: a simulated one (package
// sim). A context carries one (WithNetwork); package socket's Dial, Listen
// and ListenPacket called with such a context go to it instead of the
// operating system, so that unmodified application code runs on it.
type Network interface {
	Dial(ctx context.Context, network, address string) (net.Conn, error)
	Listen(ctx context.Context, network, address string) (net.Listener, error)
	ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error)
}

// networkKey is the context key of a Network.
type networkKey struct{}

// WithNetwork returns ctx carrying n: the socket calls made with it, and by
// the greenlets spawned from it, use n.
func WithNetwork(ctx context.Context, n Network) context.Context {
	return context.WithValue(ctx, networkKey{}, n)
}

// NetworkOf returns the Network ctx carries, or nil (the kernel's).
func NetworkOf(ctx context.Context) Network {
	n, _ := ctx.Value(networkKey{}).(Network)
	return n
}

// Nanotime reads the hub clock: nanoseconds since the hub was created
// (virtual on a simulated hub). A timer armed with AfterFunc(d) after a
// reading t fires at a reading >= t+d. Any goroutine.
func (h *Hub) Nanotime() int64 { return h.clock.Now() }

// ClockOf converts wall time (a deadline) to a reading of the hub clock,
// saturating at the int64 range: the hub clock reads t - base, where base is
// the hub's creation time (the epoch on a simulated hub).
func (h *Hub) ClockOf(t time.Time) int64 { return int64(t.Sub(h.base)) }
