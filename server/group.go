package server

// Serving on every hub of a group (gevent.HubGroup). A server given a
// spreading context (HubGroup.Context, gevent.Spread) serves on each hub of
// the group: ListenAndServe opens one SO_REUSEPORT socket per hub on Linux,
// each with its own loop on its hub, and the kernel spreads the connections
// (datagrams) among them; Serve with a listener the caller made, and every
// server on other systems, runs one loop on ctx's own hub and hands each
// connection (datagram) off to a hub of the group in turn.

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/core"
	"github.com/gevent-go/gevent/internal/reuseport"
	"github.com/gevent-go/gevent/socket"
)

// testHookListenEach, when set, is called with the address of the sockets
// listenEach opened (see export_test.go).
var testHookListenEach func(net.Addr)

// spreadGroup returns the group a server given ctx serves on, or nil for
// a context that does not spread or a group of one hub.
func spreadGroup(ctx context.Context) *core.Group {
	g := core.SpreadOf(ctx)
	if g == nil || len(g.Hubs()) < 2 {
		return nil
	}
	return g
}

// perHub returns the group whose hubs ListenAndServe with ctx opens a socket
// each for (SO_REUSEPORT), or nil.
func perHub(ctx context.Context) *core.Group {
	if !reuseport.Supported {
		return nil
	}
	return spreadGroup(ctx)
}

// listenEach opens one socket per hub on address with SO_REUSEPORT (the
// first one picks the port when address has port 0; the others bind the
// same). Binding runs on a gevent.Blocking worker when ctx is a greenlet's
// (a host name may need a lookup). On failure nothing stays open.
//
// SO_REUSEPORT lets any socket of the same user bind an address whose
// sockets all have it, another server's too: on a fixed port, listenEach
// first binds the address once without the option (and closes that
// socket), so that an address in use fails with EADDRINUSE as it does for
// one hub, instead of the two servers silently sharing the connections.
func listenEach[T io.Closer](ctx context.Context, hubs []*core.Hub, address string,
	listen func(lc *net.ListenConfig, ctx context.Context, address string) (T, error), addrOf func(T) net.Addr,
) ([]T, error) {
	return gevent.Blocking(ctx, func(bctx context.Context) ([]T, error) {
		if _, port, err := net.SplitHostPort(address); err == nil && port != "" && port != "0" {
			probe, err := listen(&net.ListenConfig{}, bctx, address)
			if err != nil {
				return nil, err
			}
			if err := probe.Close(); err != nil {
				return nil, err
			}
		}
		lc := net.ListenConfig{Control: reuseport.Control}
		out := make([]T, 0, len(hubs))
		fail := func(err error) ([]T, error) {
			for _, c := range out {
				_ = c.Close()
			}
			return nil, err
		}
		for range hubs {
			c, err := listen(&lc, bctx, address)
			if err != nil {
				return fail(err)
			}
			if len(out) == 0 {
				// The others bind the port the first one got.
				host, _, err := net.SplitHostPort(address)
				if err != nil {
					return fail(errors.Join(err, c.Close()))
				}
				_, port, err := net.SplitHostPort(addrOf(c).String())
				if err != nil {
					return fail(errors.Join(err, c.Close()))
				}
				if _, err := strconv.Atoi(port); err != nil {
					return fail(errors.Join(err, c.Close()))
				}
				address = net.JoinHostPort(host, port)
			}
			out = append(out, c)
		}
		if h := testHookListenEach; h != nil {
			h(addrOf(out[0]))
		}
		return out, nil
	})
}

// listenStreamEach is listenEach for TCP listeners, each bound to its hub.
func listenStreamEach(ctx context.Context, hubs []*core.Hub, address string) ([]net.Listener, error) {
	ls, err := listenEach(ctx, hubs, address, func(lc *net.ListenConfig, ctx context.Context, address string) (net.Listener, error) {
		return lc.Listen(ctx, "tcp", address)
	}, net.Listener.Addr)
	if err != nil {
		return nil, err
	}
	for i, h := range hubs {
		ls[i] = socket.WrapListener(core.OnHub(ctx, h), ls[i])
	}
	return ls, nil
}

// listenPacketEach is listenEach for UDP sockets, each bound to its hub.
func listenPacketEach(ctx context.Context, hubs []*core.Hub, address string) ([]net.PacketConn, error) {
	pcs, err := listenEach(ctx, hubs, address, func(lc *net.ListenConfig, ctx context.Context, address string) (net.PacketConn, error) {
		return lc.ListenPacket(ctx, "udp", address)
	}, net.PacketConn.LocalAddr)
	if err != nil {
		return nil, err
	}
	for i, h := range hubs {
		pcs[i] = socket.WrapPacketConn(core.OnHub(ctx, h), pcs[i])
	}
	return pcs, nil
}

// serveEach runs one accept loop per listener, each on its hub; handlers
// run on the hub of the loop that accepted their connection.
func (s *StreamServer) serveEach(ctx context.Context, hubs []*core.Hub, ls []net.Listener) error {
	specs := make([]loopSpec, len(ls))
	for i, l := range ls {
		specs[i] = loopSpec{closer: l, spawn: core.OnHub(ctx, hubs[i]), name: "server.accept",
			body: func(ctx context.Context, lp *loop) error { return s.acceptLoop(ctx, l, nil) }}
	}
	return s.base.serveLoops(ctx, specs)
}

// handOff returns conn, accepted on the loop's hub, as a connection of the
// next hub of g, and the context to spawn its handler with (the loop's,
// with spawns placed on that hub). A connection that is not the socket
// package's stays on the loop's hub.
func handOff(ctx context.Context, g *core.Group, conn net.Conn) (context.Context, net.Conn) {
	h := g.Pick()
	sc, ok := conn.(*socket.Conn)
	if !ok || h == core.HubOf(ctx) {
		return ctx, conn
	}
	// sc was never used: its descriptor is not registered with any
	// poller, so a new Conn on h may take it over.
	hctx := core.OnHub(ctx, h)
	return hctx, socket.WrapConn(hctx, sc.NetConn())
}

// serveEach runs one read loop per socket, each on its hub; handlers run
// on the hub of the loop that read their datagram and reply through its
// socket.
func (s *DatagramServer) serveEach(ctx context.Context, hubs []*core.Hub, pcs []net.PacketConn) error {
	s.mu.Lock()
	s.last = pcs[0]
	s.mu.Unlock()
	specs := make([]loopSpec, len(pcs))
	for i, pc := range pcs {
		spawn := context.WithValue(core.OnHub(ctx, hubs[i]), packetConnKey{}, pc)
		specs[i] = loopSpec{closer: pc, spawn: spawn, name: "server.read",
			body: func(ctx context.Context, lp *loop) error { return s.readLoop(ctx, pc, nil) }}
	}
	return s.base.serveLoops(ctx, specs)
}

// packetHandOff is how a DatagramServer's read loop hands datagrams off to
// the hubs of a group: one PacketConn per hub over the same socket, so that
// each handler replies through a PacketConn of its own hub.
type packetHandOff struct {
	g   *core.Group
	pcs map[*core.Hub]net.PacketConn
}

// newPacketHandOff wraps pc (bound to ctx's hub) for every hub of g.
func newPacketHandOff(ctx context.Context, g *core.Group, pc net.PacketConn) *packetHandOff {
	ho := &packetHandOff{g: g, pcs: make(map[*core.Hub]net.PacketConn, len(g.Hubs()))}
	raw := pc
	if sp, ok := pc.(*socket.PacketConn); ok {
		raw = sp.NetPacketConn()
	}
	home := core.HubOf(ctx)
	for _, h := range g.Hubs() {
		if h == home {
			ho.pcs[h] = pc
		} else {
			ho.pcs[h] = socket.WrapPacketConn(core.OnHub(ctx, h), raw)
		}
	}
	return ho
}

// Close closes every hub's PacketConn (each releases its poller
// registration; the socket closes once).
func (ho *packetHandOff) Close() error {
	var first error
	for _, pc := range ho.pcs {
		if err := pc.Close(); err != nil && first == nil && !errors.Is(err, net.ErrClosed) {
			first = err
		}
	}
	return first
}

// next returns the context to spawn the next datagram's handler with:
// placed on the next hub, carrying that hub's PacketConn.
func (ho *packetHandOff) next(ctx context.Context) context.Context {
	h := ho.g.Pick()
	if h == core.HubOf(ctx) {
		return ctx
	}
	return context.WithValue(core.OnHub(ctx, h), packetConnKey{}, ho.pcs[h])
}
