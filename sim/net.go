package sim

import (
	"cmp"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// Net is a simulated network of hosts: stream ("tcp") and datagram ("udp")
// sockets in memory, whose packets are hub timers, so that delivery order,
// latency, loss and partitions are part of the run (on a simulated hub,
// part of the seeded, replayable run; on a real hub they happen in real
// time).
//
// A Host is a named machine with an address (10.0.0.1, 10.0.0.2, ... in
// creation order) and its own greenlets: socket.Dial, socket.Listen and
// socket.ListenPacket called with Host.Context(ctx), or by a greenlet
// spawned from it, act as that host, so unmodified application code (a
// server.StreamServer, a client library) runs on the simulated network.
// Names resolve through the Net's host table ("db:5432"); "localhost" is
// the host itself.
//
// Streams keep TCP's contract: bytes arrive complete and in order, a Read
// returns what has arrived (a partial read), io.EOF after the peer's Close,
// net.ErrClosed after the local one, an error wrapping syscall.ECONNRESET
// after the peer's host crashed, os.ErrDeadlineExceeded at a deadline read
// against the hub clock, and flow control: a Write parks while the peer's
// receive window (NetOptions.Window) is full. Datagrams may be lost,
// duplicated and reordered, as the link's options and the seed decide.
//
// Faults act on a pair of hosts, both directions: Partition drops datagrams
// and holds stream segments (a stream held longer than StreamTimeout is
// reset) until Repair; Hold queues everything until Release, which delivers
// it in send order; SetLink changes a pair's options. Host.Crash kills a
// host's greenlets and resets its connections; Host.Restart runs its
// software (Host.Go) again.
//
// The sockets are bound to the hub of the context that made them, whose
// timers carry their packets (the hub must run for anything to arrive).
// A socket made by a greenlet parks the running greenlet of its hub: use it
// from that hub's greenlets, as package socket's. A socket made with a
// context that carries no greenlet (a Hub's Context, from a plain
// goroutine) blocks its calling goroutines instead, with the same contract.
// A Net may serve several hubs in turn, not at once.
type Net struct {
	opts NetOptions

	// mu guards everything below, and all the state of the Net's hosts,
	// links and sockets: one lock for the whole network keeps the
	// delivery paths simple and the simulation single-threaded anyway.
	mu     sync.Mutex
	hosts  []*Host
	byName map[string]*Host
	byAddr map[netip.Addr]*Host
	links  map[linkKey]*link
	rng    rand.PCG
	// packetSeq numbers the datagrams sent, so that Release delivers
	// what a Hold queued in send order.
	packetSeq uint64
	connSeq   uint64 // numbers the connections' ends
}

// NetOptions configure a Net, or one link (SetLink). Zero fields take the
// defaults.
type NetOptions struct {
	// Latency is the one-way delay of a packet (default 1ms; negative: none).
	Latency time.Duration
	// Jitter adds a seeded uniform delay in [0, Jitter) to each packet.
	Jitter time.Duration
	// Loss is a datagram's drop probability; on a stream a lost segment
	// is retransmitted instead, after 3×Latency (it is delayed, never
	// missing).
	Loss float64
	// Duplicate is a datagram's probability of arriving twice.
	Duplicate float64
	// Reorder is a datagram's probability of an extra delay of up to
	// 2×Latency, which lets later datagrams overtake it.
	Reorder float64
	// MSS is the size of a stream segment (default 1460 bytes).
	MSS int
	// Window is a stream's receive window, and a datagram socket's receive
	// buffer (default 64 KiB): a Write parks while the bytes in flight and
	// unread reach it; a datagram that finds the buffer full is dropped.
	Window int
	// StreamTimeout is how long a partition may hold a stream's segments
	// before the connection is reset on both ends (default 30s).
	StreamTimeout time.Duration
	// Seed seeds the Net's random choices (jitter, loss, duplication,
	// reordering) on a real hub; on a simulated one the run's seed decides
	// them (they are drawn from sim.Rand).
	Seed uint64
}

// withDefaults fills the zero fields.
func (o NetOptions) withDefaults() NetOptions {
	switch {
	case o.Latency == 0:
		o.Latency = time.Millisecond
	case o.Latency < 0:
		o.Latency = 0
	}
	if o.Jitter < 0 {
		o.Jitter = 0
	}
	if o.MSS <= 0 {
		o.MSS = 1460
	}
	if o.Window <= 0 {
		o.Window = 64 << 10
	}
	if o.StreamTimeout <= 0 {
		o.StreamTimeout = 30 * time.Second
	}
	return o
}

// NewNet creates a network with no hosts; opts are the default options of
// every link.
func NewNet(opts NetOptions) *Net {
	registerSpawnHook()
	n := &Net{
		opts:   opts.withDefaults(),
		byName: make(map[string]*Host),
		byAddr: make(map[netip.Addr]*Host),
		links:  make(map[linkKey]*link),
	}
	n.rng.Seed(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)
	return n
}

// Host returns the host called name, creating it (with the next address)
// the first time. Names are case-sensitive and must not be empty.
func (n *Net) Host(name string) *Host {
	if name == "" {
		panic("gevent/sim: Net.Host with an empty name")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if h := n.byName[name]; h != nil {
		return h
	}
	i := len(n.hosts)
	if i >= 254*256 {
		panic("gevent/sim: too many hosts")
	}
	addr := netip.AddrFrom4([4]byte{10, 0, byte(i / 254), byte(i%254 + 1)})
	h := newHost(n, name, addr)
	n.hosts = append(n.hosts, h)
	n.byName[name] = h
	n.byAddr[addr] = h
	return h
}

// Partition cuts the link between a and b: datagrams are dropped, stream
// segments held until Repair (or reset after StreamTimeout).
func (n *Net) Partition(a, b *Host) {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.link(a, b)
	if l.partitioned {
		return
	}
	l.partitioned = true
	for _, p := range l.stalled {
		p.armStreamTimeoutLocked() // stalled by a Hold until now
	}
}

// Repair ends a Partition of a and b: held stream segments are delivered at
// once, in order.
func (n *Net) Repair(a, b *Host) {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.link(a, b)
	l.partitioned = false
	n.resume(l)
}

// Hold queues everything sent between a and b, datagrams included, until
// Release.
func (n *Net) Hold(a, b *Host) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.link(a, b).held = true
}

// Release ends a Hold of a and b: what it queued is delivered at once, in
// send order (unless the pair is also partitioned).
func (n *Net) Release(a, b *Host) {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.link(a, b)
	l.held = false
	n.resume(l)
}

// SetLink sets the options of the link between a and b (zero fields: the
// defaults, not the Net's options; Seed is ignored). Packets already in
// flight keep their delays.
func (n *Net) SetLink(a, b *Host, o NetOptions) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.link(a, b).opts = o.withDefaults()
}

// linkKey names the link of a pair of hosts, in creation order.
type linkKey struct{ a, b *Host }

// link is the state of the path between two hosts, both directions. Guarded
// by Net.mu.
type link struct {
	opts        NetOptions
	partitioned bool
	held        bool
	// stalled are the stream pipes whose due segments wait for the link
	// to clear; heldPackets the datagrams a Hold queued, in send order.
	stalled     []*pipe
	heldPackets []*packet
}

// link returns the link of a and b, made on first use. n.mu is held.
func (n *Net) link(a, b *Host) *link {
	if a == nil || b == nil {
		panic("gevent/sim: nil *Host")
	}
	if a.net != n || b.net != n {
		panic("gevent/sim: a host of another Net")
	}
	if b.seq < a.seq {
		a, b = b, a
	}
	k := linkKey{a, b}
	l := n.links[k]
	if l == nil {
		l = &link{opts: n.opts}
		if a == b {
			l.opts.Latency, l.opts.Jitter = 0, 0 // loopback
			l.opts.Loss, l.opts.Duplicate, l.opts.Reorder = 0, 0, 0
		}
		n.links[k] = l
	}
	return l
}

// blocked reports whether l holds what arrives now: everything while held,
// stream segments while partitioned.
func (l *link) blocked() bool { return l.held || l.partitioned }

// resume delivers what l held, now that it may be clear. n.mu is held.
func (n *Net) resume(l *link) {
	if l.held {
		return
	}
	pk := l.heldPackets
	l.heldPackets = nil
	slices.SortStableFunc(pk, func(a, b *packet) int { return cmp.Compare(a.seq, b.seq) })
	for _, p := range pk {
		if l.partitioned {
			continue // a partition drops datagrams
		}
		p.arriveLocked(nil)
	}
	if l.partitioned {
		return
	}
	st := l.stalled
	l.stalled = nil
	for _, p := range st {
		p.stalled = false
		p.stallGen++
		p.flush(nil)
	}
}

// The Net's random choices (jitter, loss, duplication, reordering) are
// drawn on the sending hub: from the run's seeded source (sim.Rand) on a
// simulated hub, so that the seed of the run decides them, and from the
// Net's own PCG, seeded with NetOptions.Seed, on a real one. The
// derivations (Lemire's bounded integers, 53-bit floats) are ours, so that
// a seed means the same run on every Go release.

// rand64 returns the next seeded word for a packet sent on hub. n.mu is
// held.
func (n *Net) rand64(hub *core.Hub) uint64 {
	if s := hub.Sim(); s != nil {
		return s.Rand().Uint64()
	}
	return n.rng.Uint64()
}

// delay returns the one-way delay of a packet on a link with options o:
// latency plus seeded jitter. n.mu is held.
func (n *Net) delay(hub *core.Hub, o *NetOptions) time.Duration {
	d := o.Latency
	if o.Jitter > 0 {
		d += time.Duration(n.uintn(hub, uint64(o.Jitter)))
	}
	return d
}

// chance reports true with probability p. n.mu is held.
func (n *Net) chance(hub *core.Hub, p float64) bool {
	if p <= 0 {
		return false
	}
	return float64(n.rand64(hub)>>11)/(1<<53) < p
}

// uintn returns a seeded integer in [0, m), m > 0 (Lemire's method).
func (n *Net) uintn(hub *core.Hub, m uint64) uint64 {
	hi, lo := bits.Mul64(n.rand64(hub), m)
	if lo < m {
		t := -m % m
		for lo < t {
			hi, lo = bits.Mul64(n.rand64(hub), m)
		}
	}
	return hi
}

// recordDelivery folds a delivery into the trace of a simulated hub (a
// StepDeliver step), so that runs that deliver differently hash
// differently. from is the hub whose timer delivers (nil: a greenlet's
// Repair or Release, whose own step is recorded).
func recordDelivery(from *core.Hub, what, size uint64) {
	if from == nil {
		return
	}
	if s := from.Sim(); s != nil {
		s.Record(core.StepDeliver, nil, what<<32|size)
	}
}
