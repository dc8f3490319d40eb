package socket

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"github.com/gevent-go/gevent/internal/core"
)

// Dial connects to address on network ("tcp", "tcp4", "tcp6", "udp",
// "udp4", "udp6", "unix", "unixgram", "unixpacket"), as net.Dialer's
// DialContext does, and returns a *Conn bound to ctx's hub (gevent's
// create_connection). Called by a greenlet, it parks only that greenlet:
// names are resolved and the connection is made off the hub, and ctx's
// cancellation (the greenlet's kill, a gevent.WithTimeout) ends the dial at
// once with ctx's cause. With a ctx that has no hub it is
// net.Dialer.DialContext and returns the standard connection. With a ctx
// that carries a simulated network (sim.Host.Context), the simulated host
// dials instead. Inside a hub callback, where the connect would block the
// hub, it panics (as the library's other blocking calls do there).
func Dial(ctx context.Context, network, address string) (net.Conn, error) {
	if c, ok, err := dialNetwork(ctx, network, address); ok {
		return c, err
	}
	refuseRealIO(ctx, "Dial", nil)
	h := core.HubOf(ctx)
	if h == nil {
		core.CheckNotInCallback(ctx) // a connect on a hub's goroutine would block the hub
		var d net.Dialer
		return d.DialContext(ctx, network, address)
	}
	g := core.Current(ctx)
	if g == nil {
		core.CheckNotInCallback(ctx)
		var d net.Dialer
		c, err := d.DialContext(core.Detach(ctx), network, address)
		if err != nil {
			return nil, err
		}
		return newConn(h, c), nil
	}
	if c, ok, err := dialFast(ctx, h, g, network, address); ok {
		return c, err
	}
	// The dialer gets no deadline from ctx: ctx's expiry interrupts it
	// through offload, which then reports ctx's cause (a gevent Timeout),
	// instead of the dialer's own "i/o timeout" winning the race.
	dctx, cancel := context.WithCancel(context.WithoutCancel(core.Detach(ctx)))
	defer cancel()
	c, err, cause := offload(ctx, func() (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(dctx, network, address)
	}, cancel)
	if cause != nil {
		if c != nil {
			c.Close()
		}
		return nil, &net.OpError{Op: "dial", Net: network, Err: asTimeout(cause)}
	}
	if err != nil {
		return nil, err
	}
	return newConn(h, c), nil
}

// Listen announces on the local network address, as net.ListenConfig's
// Listen does, and returns a *Listener bound to ctx's hub. A host name in
// address is resolved off the hub (inside a hub callback, where the lookup
// would block the hub, it panics). With a ctx that has no hub it returns the
// standard listener; with one that carries a simulated network
// (sim.Host.Context), the simulated host's listener.
func Listen(ctx context.Context, network, address string) (net.Listener, error) {
	if l, ok, err := listenNetwork(ctx, network, address); ok {
		return l, err
	}
	refuseRealIO(ctx, "Listen", nil)
	h := core.HubOf(ctx)
	var lc net.ListenConfig
	if h == nil {
		return lc.Listen(ctx, network, address)
	}
	ln, err := onOrOffHub(ctx, network, address, func(ctx context.Context) (net.Listener, error) {
		return lc.Listen(ctx, network, address)
	})
	if err != nil {
		return nil, err
	}
	return newListener(h, ln), nil
}

// ListenPacket announces on the local network address ("udp", "udp4",
// "udp6", "unixgram"), as net.ListenConfig's ListenPacket does, and returns
// a *PacketConn bound to ctx's hub. With a ctx that has no hub it returns
// the standard connection; with one that carries a simulated network
// (sim.Host.Context), the simulated host's socket.
func ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error) {
	if pc, ok, err := listenPacketNetwork(ctx, network, address); ok {
		return pc, err
	}
	refuseRealIO(ctx, "ListenPacket", nil)
	h := core.HubOf(ctx)
	var lc net.ListenConfig
	if h == nil {
		return lc.ListenPacket(ctx, network, address)
	}
	pc, err := onOrOffHub(ctx, network, address, func(ctx context.Context) (net.PacketConn, error) {
		return lc.ListenPacket(ctx, network, address)
	})
	if err != nil {
		return nil, err
	}
	return newPacketConn(h, pc), nil
}

// WrapConn returns c as a *Conn bound to ctx's hub (gevent's
// socket.socket(fileno=...) over an existing socket). TCP, UDP and Unix
// connections get the epoll fast path; any other net.Conn (a tls.Conn,
// net.Pipe) is served off the hub, one goroutine per blocked call. With a ctx
// that has no hub, when c already is a *Conn of that hub, or when c already
// parks greenlets itself (a simulated connection, package sim), c is
// returned unchanged. The *Conn takes over c: close it through the *Conn.
// A *Conn or *PacketConn of another hub is rebound (how a connection
// accepted on one hub of a group moves to another): the result drives the
// connection under it from ctx's hub, and its Close also ends the old
// value's registration with its hub's poller.
func WrapConn(ctx context.Context, c net.Conn) net.Conn {
	refuseRealIO(ctx, "WrapConn", c)
	h := core.HubOf(ctx)
	if h == nil || c == nil || cooperative(c) {
		return c
	}
	if cc := boundConn(c); cc != nil {
		if cc.h == h {
			return c
		}
		nc := newConn(h, cc.c)
		nc.prev = &cc.sys
		return nc
	}
	return newConn(h, c)
}

// WrapListener returns ln as a *Listener bound to ctx's hub (TCP and Unix
// listeners get the fast path; others are served off the hub). With a ctx
// that has no hub, when ln already is a *Listener of that hub, or when ln
// already parks greenlets itself (a simulated listener, package sim), ln is
// returned unchanged. A *Listener of another hub is rebound, as WrapConn
// rebinds a *Conn.
func WrapListener(ctx context.Context, ln net.Listener) net.Listener {
	refuseRealIO(ctx, "WrapListener", ln)
	h := core.HubOf(ctx)
	if h == nil || ln == nil || cooperative(ln) {
		return ln
	}
	if l, ok := ln.(*Listener); ok {
		if l.h == h {
			return ln
		}
		nl := newListener(h, l.ln)
		nl.prev = &l.sys
		return nl
	}
	return newListener(h, ln)
}

// WrapPacketConn returns pc as a *PacketConn bound to ctx's hub. With a ctx
// that has no hub, when pc already is a *PacketConn of that hub, or when pc
// already parks greenlets itself (package sim), pc is returned unchanged.
// A *PacketConn of another hub is rebound, as WrapConn rebinds a *Conn.
func WrapPacketConn(ctx context.Context, pc net.PacketConn) net.PacketConn {
	refuseRealIO(ctx, "WrapPacketConn", pc)
	h := core.HubOf(ctx)
	if h == nil || pc == nil || cooperative(pc) {
		return pc
	}
	if p, ok := pc.(*PacketConn); ok {
		if p.h == h {
			return pc
		}
		np := newPacketConn(h, p.NetPacketConn())
		np.prev = &p.sys
		return np
	}
	return newPacketConn(h, pc)
}

// onOrOffHub runs fn on the calling greenlet when address needs no name
// resolution (binding does not block), and off the hub otherwise; a result
// that arrives after ctx ended is closed.
func onOrOffHub[T interface{ Close() error }](ctx context.Context, network, address string, fn func(context.Context) (T, error)) (T, error) {
	g := core.Current(ctx)
	resolve := needsResolve(network, address)
	if g == nil || !resolve {
		if resolve {
			core.CheckNotInCallback(ctx) // a lookup on a hub's goroutine would block the hub
		}
		return fn(core.Detach(ctx))
	}
	// No deadline for fn: ctx's end interrupts it through offload, which
	// reports ctx's cause (as Dial's dialer).
	dctx, cancel := context.WithCancel(context.WithoutCancel(core.Detach(ctx)))
	defer cancel()
	v, err, cause := offload(ctx, func() (T, error) { return fn(dctx) }, cancel)
	if cause != nil {
		if err == nil {
			v.Close()
		}
		var zero T
		return zero, &net.OpError{Op: "listen", Net: network, Err: cause}
	}
	return v, err
}

// needsResolve reports whether address names a host that must be looked up
// (IP literals, empty hosts and Unix paths need no lookup).
func needsResolve(network, address string) bool {
	if strings.HasPrefix(network, "unix") {
		return false
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil || host == "" {
		return false
	}
	if i := strings.LastIndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	_, err = netip.ParseAddr(host)
	return err != nil
}
