package sim

import (
	"cmp"
	"context"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/core"
)

// Host is a machine of a simulated Net: a name, an address and the
// greenlets that run as it (those spawned with Go, and every greenlet
// spawned from a context of the host, at any depth). It implements
// socket's network seam: socket.Dial, Listen and ListenPacket with a
// Context of the host come to its Dial, Listen and ListenPacket.
type Host struct {
	net  *Net
	name string
	addr netip.Addr
	seq  int // creation order

	// Guarded by net.mu.
	down      bool
	tasks     []gevent.Task // greenlets run as the host (pruned of dead ones)
	liveMark  int           // len(tasks) after the last pruning
	software  []software    // what Go started, run again by Restart
	nextPort  int
	ports     map[int]bool // bound ports (listeners, packet sockets, connections)
	listeners map[int]*Listener
	packets   map[int]*PacketConn
	conns     map[*Conn]struct{} // open connections, reset by Crash
}

// software is one Go call, run again by Restart.
type software struct {
	name string
	fn   func(ctx context.Context) error
}

// firstEphemeral is the first port Listen(":0") and Dial choose (the IANA
// dynamic range); the next ones follow in order, per host.
const firstEphemeral = 49152

func newHost(n *Net, name string, addr netip.Addr) *Host {
	return &Host{
		net:       n,
		name:      name,
		addr:      addr,
		seq:       len(n.hosts),
		nextPort:  firstEphemeral,
		ports:     make(map[int]bool),
		listeners: make(map[int]*Listener),
		packets:   make(map[int]*PacketConn),
		conns:     make(map[*Conn]struct{}),
	}
}

// Name returns the host's name.
func (h *Host) Name() string { return h.name }

// Addr returns the host's address.
func (h *Host) Addr() netip.Addr { return h.addr }

// String returns the name and the address.
func (h *Host) String() string { return h.name + "(" + h.addr.String() + ")" }

// Context returns ctx with h as the current host: socket.Dial, Listen and
// ListenPacket called with it, or by any greenlet spawned from it, act as
// h, and Crash kills those greenlets. ctx must belong to a hub (a
// greenlet's context, gevent.Run's, a Hub's Context) for sockets to be
// made with it.
func (h *Host) Context(ctx context.Context) context.Context {
	if ctx == nil {
		panic("gevent/sim: Host.Context: nil ctx")
	}
	return core.WithNetwork(ctx, h)
}

// Go runs fn as h's software, in a greenlet named name spawned from
// h.Context(ctx), and records it: Restart runs it again after a Crash.
// While h is down it is only recorded (and Go returns nil).
func (h *Host) Go(ctx context.Context, name string, fn func(ctx context.Context) error) *gevent.Greenlet[struct{}] {
	if fn == nil {
		panic("gevent/sim: Host.Go: nil fn")
	}
	n := h.net
	n.mu.Lock()
	h.software = append(h.software, software{name, fn})
	down := h.down
	n.mu.Unlock()
	if down {
		return nil
	}
	return gevent.Go(h.Context(ctx), fn, gevent.WithName(name))
}

// Down reports whether h has crashed and not restarted.
func (h *Host) Down() bool {
	h.net.mu.Lock()
	defer h.net.mu.Unlock()
	return h.down
}

// Crash stops h as a power cut would: it kills every greenlet running as h
// (with gevent.ErrGreenletExit; each sees the kill at its next switch
// point), closes its listeners and packet sockets, and resets its
// connections: their peers read an error wrapping syscall.ECONNRESET once
// the reset reaches them (one link delay later, after what h had already
// sent). Until Restart, connections to h are refused and datagrams to it
// are lost. Any goroutine or greenlet; it does not wait.
func (h *Host) Crash() {
	n := h.net
	n.mu.Lock()
	if h.down {
		n.mu.Unlock()
		return
	}
	h.down = true
	tasks := h.tasks
	h.tasks, h.liveMark = nil, 0
	n.mu.Unlock()
	killAll(tasks)
	n.mu.Lock()
	h.closeAllLocked()
	n.mu.Unlock()
}

// killAll kills the greenlets of a crashed host. They are killed before
// their sockets close, so that a greenlet parked in a socket call ends with
// the kill, not with net.ErrClosed.
func killAll(tasks []gevent.Task) {
	for _, t := range tasks {
		if g := core.TaskG(t); g != nil {
			g.Kill(gevent.ErrGreenletExit)
		}
	}
}

// closeAllLocked closes the sockets of a crashed host. n.mu is held.
func (h *Host) closeAllLocked() {
	// In a fixed order (maps iterate at random): the resets are packets of
	// a seeded run.
	conns := slices.SortedFunc(maps.Keys(h.conns), func(a, b *Conn) int { return cmp.Compare(a.id, b.id) })
	for _, c := range conns {
		c.abortLocked(nil)
	}
	for _, port := range slices.Sorted(maps.Keys(h.listeners)) {
		h.listeners[port].closeLocked()
	}
	for _, port := range slices.Sorted(maps.Keys(h.packets)) {
		h.packets[port].closeLocked()
	}
	clear(h.ports)
}

// Restart brings h up again (crashing it first if it is up) and runs the
// software recorded by Go again, each in a new greenlet spawned from
// h.Context(ctx). It returns those greenlets.
func (h *Host) Restart(ctx context.Context) []*gevent.Greenlet[struct{}] {
	h.Crash()
	n := h.net
	n.mu.Lock()
	h.down = false
	sw := append([]software(nil), h.software...)
	n.mu.Unlock()
	hctx := h.Context(ctx)
	gs := make([]*gevent.Greenlet[struct{}], len(sw))
	for i, s := range sw {
		gs[i] = gevent.Go(hctx, s.fn, gevent.WithName(s.name))
	}
	return gs
}

// adopt records t as running as h (the spawn hook). A greenlet spawned while
// h is down is killed at once: a crashed machine runs nothing.
func (h *Host) adopt(t gevent.Task) {
	n := h.net
	n.mu.Lock()
	if h.down {
		n.mu.Unlock()
		if g := core.TaskG(t); g != nil {
			g.Kill(gevent.ErrGreenletExit)
		}
		return
	}
	if len(h.tasks) >= 2*h.liveMark+16 {
		live := h.tasks[:0]
		for _, x := range h.tasks {
			if !x.Dead() {
				live = append(live, x)
			}
		}
		clear(h.tasks[len(live):])
		h.tasks = live
		h.liveMark = len(live)
	}
	h.tasks = append(h.tasks, t)
	n.mu.Unlock()
}

var spawnHookOnce sync.Once

// registerSpawnHook makes every greenlet spawned from a host's context
// (directly or through its ancestors' values) one of the host's, so that
// Crash finds it. One process-wide hook, installed by the first NewNet: it
// costs each later spawn one context lookup.
func registerSpawnHook() {
	spawnHookOnce.Do(func() {
		gevent.AddSpawnCallback(func(t gevent.Task) {
			g := core.TaskG(t)
			if g == nil {
				return
			}
			if h, ok := core.NetworkOf(g).(*Host); ok {
				h.adopt(t)
			}
		})
	})
}

// bindLocked reserves port on h (0: the next free ephemeral port) and
// returns it. n.mu is held.
func (h *Host) bindLocked(port int) (int, error) {
	if port != 0 {
		if h.ports[port] {
			return 0, syscall.EADDRINUSE
		}
		h.ports[port] = true
		return port, nil
	}
	for range 65536 - firstEphemeral {
		p := h.nextPort
		h.nextPort++
		if h.nextPort > 65535 {
			h.nextPort = firstEphemeral
		}
		if !h.ports[p] {
			h.ports[p] = true
			return p, nil
		}
	}
	return 0, syscall.EADDRINUSE
}

// unbindLocked frees port. n.mu is held.
func (h *Host) unbindLocked(port int) { delete(h.ports, port) }

// tcpAddr and udpAddr are h's address with port, as the standard library
// reports them.
func (h *Host) tcpAddr(port int) *net.TCPAddr {
	return &net.TCPAddr{IP: h.addr.AsSlice(), Port: port}
}

func (h *Host) udpAddr(port int) *net.UDPAddr {
	return &net.UDPAddr{IP: h.addr.AsSlice(), Port: port}
}

// resolveLocked finds the host an address names, from h: empty,
// "localhost" and loopback addresses are h itself; other IP addresses and
// names go through the Net's table. n.mu is held.
func (h *Host) resolveLocked(host string) (*Host, error) {
	n := h.net
	if host == "" || host == "localhost" {
		return h, nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		if a.IsLoopback() || a.IsUnspecified() {
			return h, nil
		}
		if t := n.byAddr[a]; t != nil {
			return t, nil
		}
		return nil, syscall.EHOSTUNREACH
	}
	if t := n.byName[host]; t != nil {
		return t, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// splitAddr splits "host:port" with a numeric port.
func splitAddr(address string) (host string, port int, err error) {
	host, ps, err := net.SplitHostPort(address)
	if err != nil {
		return "", 0, err
	}
	port, err = strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, &net.AddrError{Err: "invalid port", Addr: address}
	}
	return host, port, nil
}

// localLocked checks that host names h (an address to bind to). n.mu is
// held.
func (h *Host) localLocked(host string) error {
	if host == "" || host == h.name {
		return nil
	}
	t, err := h.resolveLocked(host)
	if err != nil || t != h {
		return syscall.EADDRNOTAVAIL
	}
	return nil
}

// streamNet and packetNet check a network name.
func streamNet(network string) bool { return network == "tcp" || network == "tcp4" }
func packetNet(network string) bool { return network == "udp" || network == "udp4" }

// hubOf returns the hub that sockets made with ctx are bound to.
func hubOf(ctx context.Context, who string) *core.Hub {
	if ctx == nil {
		panic("gevent/sim: " + who + ": nil ctx")
	}
	return core.MustHub(ctx, "gevent/sim: "+who)
}

// Listen announces a stream listener on h ("tcp" or "tcp4"; address
// "host:port" where host is empty, h's name or address, or a loopback or
// unspecified address; port 0 chooses the next ephemeral port). The
// listener is bound to ctx's hub.
func (h *Host) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	hub := hubOf(ctx, "Listen")
	opErr := func(err error) error { return &net.OpError{Op: "listen", Net: network, Err: err} }
	if !streamNet(network) {
		return nil, opErr(net.UnknownNetworkError(network))
	}
	host, port, err := splitAddr(address)
	if err != nil {
		return nil, opErr(err)
	}
	n := h.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if h.down {
		return nil, opErr(syscall.ENETDOWN)
	}
	if err := h.localLocked(host); err != nil {
		return nil, opErr(err)
	}
	port, err = h.bindLocked(port)
	if err != nil {
		return nil, opErr(err)
	}
	l := &Listener{net: n, hub: hub, host: h, port: port, addr: h.tcpAddr(port), dl: noDeadline,
		goroutine: core.Current(ctx) == nil}
	h.listeners[port] = l
	return l, nil
}

// ListenPacket opens a datagram socket on h ("udp" or "udp4"; address as
// for Listen), bound to ctx's hub.
func (h *Host) ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error) {
	hub := hubOf(ctx, "ListenPacket")
	opErr := func(err error) error { return &net.OpError{Op: "listen", Net: network, Err: err} }
	if !packetNet(network) {
		return nil, opErr(net.UnknownNetworkError(network))
	}
	host, port, err := splitAddr(address)
	if err != nil {
		return nil, opErr(err)
	}
	n := h.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if h.down {
		return nil, opErr(syscall.ENETDOWN)
	}
	if err := h.localLocked(host); err != nil {
		return nil, opErr(err)
	}
	return h.newPacketConnLocked(hub, core.Current(ctx) == nil, port, nil)
}

// Dial connects from h to address ("host:port", host a name of the Net, an
// address, or empty/"localhost"/loopback for h itself): a stream
// connection for "tcp"/"tcp4", a connected datagram socket for
// "udp"/"udp4". A stream dial takes one round trip; it fails with an error
// wrapping syscall.ECONNREFUSED when nothing listens there (or the host is
// down), and with ctx's cause when ctx ends first. The connection is bound
// to ctx's hub.
func (h *Host) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	hub := hubOf(ctx, "Dial")
	opErr := func(err error) error { return &net.OpError{Op: "dial", Net: network, Err: err} }
	stream := streamNet(network)
	if !stream && !packetNet(network) {
		return nil, opErr(net.UnknownNetworkError(network))
	}
	host, port, err := splitAddr(address)
	if err != nil {
		return nil, opErr(err)
	}
	n := h.net
	n.mu.Lock()
	if h.down {
		n.mu.Unlock()
		return nil, opErr(syscall.ENETDOWN)
	}
	dst, err := h.resolveLocked(host)
	if err != nil {
		n.mu.Unlock()
		return nil, opErr(err)
	}
	if !stream {
		defer n.mu.Unlock()
		pc, err := h.newPacketConnLocked(hub, core.Current(ctx) == nil, 0, dst.udpAddr(port))
		if err != nil {
			return nil, opErr(err)
		}
		return pc, nil
	}
	c, err := h.dialLocked(ctx, hub, dst, port) // unlocks
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError("connect", errno)
	}
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: dst.tcpAddr(port), Err: asTimeout(err)}
	}
	return c, nil
}
