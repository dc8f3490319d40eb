//go:build linux

package poll

import (
	"context"
	"math"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// sysEpollPwait2 is epoll_pwait2's number in Linux's generic syscall table
// (the same on amd64, arm64, 386 and the rest); kernels before 5.11 answer
// ENOSYS and the poller falls back to epoll_pwait's milliseconds.
const sysEpollPwait2 = 441

// epollET is EPOLLET as the event mask's bit: package syscall declares it
// negative on some architectures (amd64) and positive on others (arm64).
const epollET = 1 << 31

// The waits use epoll_pwait with no signal mask, which is epoll_wait: the
// newer architectures (arm64, riscv64) have no epoll_wait of their own.

// evfdIndex marks the eventfd in an epoll event's data.
const evfdIndex = -1

// Poller is one hub's epoll instance. It implements core.Poller: the hub
// calls Poll on its own goroutine when it has nothing to run.
type Poller struct {
	epfd int
	evfd int
	hub  *core.Hub // the hub whose loop calls Poll

	// notified is set by Wakeup and cleared when a Poll returns; waiting is
	// set while Poll is (about to be) in a blocking epoll wait. Together they
	// make Wakeup write the eventfd only when a Poll could be asleep: either
	// Wakeup sees waiting or Poll sees notified (both sequentially
	// consistent).
	notified atomic.Bool
	waiting  atomic.Bool

	// nwait counts parked callers: they keep the hub from declaring
	// ErrLoopExit.
	nwait atomic.Int64

	mu     sync.Mutex // guards the fields below
	descs  []*Desc    // registered descriptors by slot; nil when free
	gens   []int32    // each slot's generation, bumped on reuse
	free   []int32    // free slots
	closed bool

	// Loop-only: used by Poll on the hub goroutine.
	events []syscall.EpollEvent
	ready  []readyDesc
	noPw2  bool // epoll_pwait2 is not available
}

type readyDesc struct {
	d      *Desc
	events uint32
}

// For returns hub h's poller, creating and installing it on first use. Call
// it only from a greenlet of h (core.Hub.SetPoller's rule).
func For(h *core.Hub) *Poller {
	if p, ok := h.Poller().(*Poller); ok {
		return p
	}
	p, err := newPoller()
	if err != nil {
		return nil
	}
	p.hub = h
	h.SetPoller(p)
	return p
}

func newPoller() (*Poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	r, _, errno := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if errno != 0 {
		syscall.Close(epfd)
		return nil, os.NewSyscallError("eventfd2", errno)
	}
	evfd := int(r)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: evfdIndex}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(evfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return &Poller{epfd: epfd, evfd: evfd, events: make([]syscall.EpollEvent, 128)}, nil
}

// Poll waits up to timeout (negative: no limit) for I/O or Wakeup and wakes
// the callers parked on every ready descriptor. Hub goroutine only.
func (p *Poller) Poll(timeout time.Duration) bool {
	if timeout == 0 && p.nwait.Load() == 0 {
		// Nobody is parked: readiness would wake no one, and the hub
		// asked not to block. Skip the syscall.
		p.notified.Store(false)
		return false
	}
	var n int
	if timeout == 0 {
		n = p.wait(0)
	} else {
		p.waiting.Store(true)
		if p.notified.Load() {
			timeout = 0
		}
		n = p.wait(timeout)
		p.waiting.Store(false)
	}
	p.notified.Store(false)
	if n <= 0 {
		return false
	}
	p.mu.Lock()
	for i := range n {
		ev := &p.events[i]
		idx := int(ev.Fd)
		if idx == evfdIndex {
			var buf [8]byte
			syscall.Read(p.evfd, buf[:])
			continue
		}
		if idx < len(p.descs) && p.gens[idx] == ev.Pad && p.descs[idx] != nil {
			p.ready = append(p.ready, readyDesc{p.descs[idx], ev.Events})
		}
	}
	p.mu.Unlock()
	io := len(p.ready) > 0
	for i, r := range p.ready {
		r.d.notify(r.events, p.hub)
		p.ready[i] = readyDesc{}
	}
	p.ready = p.ready[:0]
	if n == len(p.events) && n < 4096 {
		p.events = make([]syscall.EpollEvent, 2*n)
	}
	return io
}

// wait is one epoll wait; it returns the number of events (0 on EINTR).
func (p *Poller) wait(timeout time.Duration) int {
	evs := unsafe.Pointer(&p.events[0])
	nev := uintptr(len(p.events))
	if timeout == 0 {
		// A non-blocking wait needs none of the scheduler's syscall
		// bookkeeping.
		r, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(p.epfd), uintptr(evs), nev, 0, 0, 0)
		if errno != 0 {
			return 0
		}
		return int(r)
	}
	if !p.noPw2 {
		// epoll_pwait2 takes a timespec: timers keep their nanoseconds
		// instead of being rounded up to epoll_wait's milliseconds.
		var tsp unsafe.Pointer
		var ts syscall.Timespec
		if timeout > 0 {
			ts = syscall.NsecToTimespec(int64(timeout))
			tsp = unsafe.Pointer(&ts)
		}
		r, _, errno := syscall.Syscall6(sysEpollPwait2, uintptr(p.epfd), uintptr(evs), nev, uintptr(tsp), 0, 0)
		if errno == 0 {
			return int(r)
		}
		if errno != syscall.ENOSYS {
			return 0
		}
		p.noPw2 = true
	}
	ms := -1
	if timeout > 0 {
		// Rounded up, and capped at the kernel's int: a timer centuries
		// away must not overflow into a negative (endless) or arbitrary
		// timeout.
		ms = int(min((timeout-1)/time.Millisecond+1, math.MaxInt32))
	}
	r, _, errno := syscall.Syscall6(syscall.SYS_EPOLL_PWAIT, uintptr(p.epfd), uintptr(evs), nev, uintptr(ms), 0, 0)
	if errno != 0 {
		return 0
	}
	return int(r)
}

// Wakeup makes the current or next Poll return. Any goroutine.
func (p *Poller) Wakeup() {
	if p.notified.Swap(true) {
		return // a Wakeup is already pending
	}
	if p.waiting.Load() {
		one := [8]byte{1}
		syscall.Write(p.evfd, one[:])
	}
}

// Busy reports whether any caller is parked on I/O.
func (p *Poller) Busy() bool { return p.nwait.Load() > 0 }

// Close releases the epoll instance and the eventfd. Descriptors still
// registered are forgotten; their later waits see the poller closed.
func (p *Poller) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	descs := p.descs
	p.descs = nil
	p.mu.Unlock()
	for _, d := range descs {
		if d != nil {
			d.detach(p)
		}
	}
	syscall.Close(p.epfd)
	syscall.Close(p.evfd)
}

// add registers fd for d (edge-triggered, read and write interest). Hub
// goroutine only, with fd referenced by the caller (inside a RawConn
// callback).
func (p *Poller) add(d *Desc, fd int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return net.ErrClosed
	}
	var idx int32
	if n := len(p.free); n > 0 {
		idx = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		idx = int32(len(p.descs))
		p.descs = append(p.descs, nil)
		p.gens = append(p.gens, 0)
	}
	p.gens[idx]++
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | syscall.EPOLLPRI | epollET,
		Fd:     idx,
		Pad:    p.gens[idx],
	}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.free = append(p.free, idx)
		return os.NewSyscallError("epoll_ctl", err)
	}
	p.descs[idx] = d
	d.slot = idx
	return nil
}

// remove forgets d's slot and, when fd >= 0, deletes fd from the epoll set.
func (p *Poller) remove(d *Desc, fd int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if fd >= 0 {
		syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
	}
	if int(d.slot) < len(p.descs) && p.descs[d.slot] == d {
		p.descs[d.slot] = nil
		p.free = append(p.free, d.slot)
	}
}

// Mode says which readiness a caller waits for.
type Mode int8

const (
	ModeRead  Mode = iota // readable, accept, hang-up
	ModeWrite             // writable, connect completed
)

// Desc is one descriptor's parking place. The zero value is ready to use;
// it attaches to a poller on the first Register. A Desc must not be copied
// after first use.
type Desc struct {
	mu      sync.Mutex // guards the fields below
	p       *Poller    // set by the first Register; nil before and after detach
	slot    int32
	fd      int32 // for dumps; set by Register
	readers core.WaitList
	writers core.WaitList
	closed  bool
	// drained says a TCP reader found the receive queue empty and no
	// readable event has come since (see WaitData). Stored true by the
	// reader before each read and false after a full one; stored false by
	// notify under mu, before it wakes the readers.
	drained atomic.Bool
	// hangup is set, for good, by the first event that reports the peer's
	// shutdown, a hang-up or an error: a read then returns at once (EOF,
	// or the error) and no further edge may come, so drained stays false.
	hangup atomic.Bool
}

// BeginRead notes that a TCP read is about to drain the receive queue. A
// read shorter than its buffer empties the queue (tcp_recvmsg returns
// early only when no data is left at that moment), and any data that
// arrives after it raises an edge that clears the mark in notify; an
// end of stream or an error pending behind the data raises none, which is
// what hangup covers. Call EndRead after a read that may have left data
// or ended the stream. It reports false, marking nothing, once hangup (or
// urgent data) has turned the rule off: the caller then parks with Wait.
func (d *Desc) BeginRead() bool {
	if d.hangup.Load() {
		return false
	}
	d.drained.Store(true)
	return true
}

// EndRead undoes BeginRead when the read may have left data behind (it
// filled the buffer) or ended the stream (EOF or an error: nothing will
// raise another edge).
func (d *Desc) EndRead() { d.drained.Store(false) }

// Drained reports whether the last stream read drained the queue and no
// readable event came since: a read now would fail with EAGAIN.
func (d *Desc) Drained() bool { return d.drained.Load() }

// Registered reports whether the descriptor is in a poller's set. Hub
// goroutine only (it is only set there).
func (d *Desc) Registered() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.p != nil
}

// Register adds fd to p's epoll set, once. Call it on the hub goroutine with
// fd held open (inside a syscall.RawConn callback). It returns net.ErrClosed
// once the Desc is closed.
func (d *Desc) Register(p *Poller, fd int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return net.ErrClosed
	}
	if d.p != nil {
		return nil
	}
	if err := p.add(d, fd); err != nil {
		return err
	}
	d.p = p
	d.fd = int32(fd)
	return nil
}

// Wait parks the running greenlet (ctx is a greenlet's context, or derives
// from one: core.Current(ctx) must be non-nil) until the descriptor is ready
// for mode, deadline (zero: none) passes, ctx is cancelled (the greenlet is
// killed), or the Desc is closed. It returns nil when the caller should retry
// its syscall, and otherwise os.ErrDeadlineExceeded, net.ErrClosed or ctx's
// cause. Wake-ups can be spurious. The descriptor must be registered. Hub
// goroutine only.
func (d *Desc) Wait(ctx context.Context, mode Mode, deadline time.Time) error {
	return d.wait(ctx, mode, deadline, false)
}

// WaitData is Wait(ModeRead) for a stream reader that found the queue
// drained (Drained): it returns at once when a readable event has come
// since, so the read it retries does not fail with EAGAIN first, the
// syscall a read-then-wait reader makes on every wait (half the reads of
// an echo exchange).
func (d *Desc) WaitData(ctx context.Context, deadline time.Time) error {
	return d.wait(ctx, ModeRead, deadline, true)
}

func (d *Desc) wait(ctx context.Context, mode Mode, deadline time.Time, data bool) error {
	var dur time.Duration
	if !deadline.IsZero() {
		dur = time.Until(deadline)
		if dur <= 0 {
			return os.ErrDeadlineExceeded
		}
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return net.ErrClosed
	}
	p := d.p
	if p == nil {
		d.mu.Unlock()
		return net.ErrClosed // the hub's poller has closed
	}
	if data && !d.drained.Load() {
		d.mu.Unlock()
		return nil
	}
	kind := waitRead
	if mode == ModeWrite {
		kind = waitWrite
	}
	w, err := core.PrepareOn(ctx, kind, unsafe.Pointer(d))
	if err != nil {
		d.mu.Unlock()
		return err
	}
	g := w.Greenlet()
	if g == nil {
		panic("gevent: internal error: poll.Desc.Wait outside a greenlet")
	}
	l := &d.readers
	if mode == ModeWrite {
		l = &d.writers
	}
	l.PushBack(w)
	d.mu.Unlock()
	p.nwait.Add(1)
	var stop func() bool
	if dur > 0 {
		// The timer runs on the hub, and so does this greenlet until it
		// calls stop: the timer cannot cancel a later wait of the same
		// (reused) waiter.
		stop = g.Hub().AfterFunc(dur, func() { w.Cancel(os.ErrDeadlineExceeded) })
	}
	err = w.Block(ctx)
	if stop != nil {
		stop()
	}
	p.nwait.Add(-1)
	if err != nil {
		d.mu.Lock()
		l.Remove(w)
		d.mu.Unlock()
	}
	w.Release()
	return err
}

// notify wakes the callers waiting for what events reports. It runs in
// Poll, on hub's loop: the greenlets it wakes resume in that iteration's I/O
// step (core.Waiter.WakeFrom).
func (d *Desc) notify(events uint32, hub *core.Hub) {
	d.mu.Lock()
	if events&(syscall.EPOLLIN|syscall.EPOLLPRI|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
		// EPOLLPRI: TCP urgent data; a read stops short at its mark with
		// data still queued, so a short read no longer proves the queue
		// empty: the drained rule is off for good.
		if events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR|syscall.EPOLLPRI) != 0 {
			d.hangup.Store(true)
		}
		d.drained.Store(false)
		d.readers.WakeAllFrom(hub)
	}
	if events&(syscall.EPOLLOUT|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
		d.writers.WakeAllFrom(hub)
	}
	d.mu.Unlock()
}

// Wake wakes every parked caller of mode so that it re-evaluates its
// deadline (a Set*Deadline call). Any goroutine.
func (d *Desc) Wake(mode Mode) {
	d.mu.Lock()
	if mode == ModeWrite {
		d.writers.WakeAll()
	} else {
		d.readers.WakeAll()
	}
	d.mu.Unlock()
}

// Close marks the Desc closed, wakes every parked caller (their Wait returns
// net.ErrClosed, or nil and their retried syscall sees the closed conn), and
// frees its poller slot. fd >= 0 is deleted from the epoll set: pass it only
// while it is still open (inside a RawConn.Control callback). Any goroutine;
// idempotent.
func (d *Desc) Close(fd int) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	p := d.p
	d.p = nil
	d.readers.WakeAll()
	d.writers.WakeAll()
	d.mu.Unlock()
	if p != nil {
		p.remove(d, fd)
	}
}

// Closed reports whether Close was called.
func (d *Desc) Closed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// detach is the poller's Close: the Desc no longer has a poller.
func (d *Desc) detach(p *Poller) {
	d.mu.Lock()
	if d.p == p {
		d.p = nil
	}
	d.readers.WakeAll()
	d.writers.WakeAll()
	d.mu.Unlock()
}
