package sim

import (
	"context"
	"errors"
	"math"
	"net"
	"os"
	"time"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// Parking: every blocking socket call is a loop that checks its condition
// under Net.mu and otherwise parks on one of the socket's wait lists, with
// the deadline as a hub timer. A wake-up only means "look again" (data
// arrived, the window opened, the deadline moved or passed), so a spurious
// one costs a loop turn and nothing is ever handed to a waiter that left.

// noDeadline is an unset deadline: a reading of the hub clock never reached.
const noDeadline = math.MaxInt64

// setDeadline stores t as a deadline of the hub's clock in *dl and wakes
// the callers parked under the old one (waiters nil: none park), which look
// at it again: the one body of every SetDeadline of the package. Any
// goroutine.
func (n *Net) setDeadline(hub *core.Hub, dl *int64, waiters *core.WaitList, t time.Time) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	*dl = deadlineOf(hub, t)
	if waiters != nil {
		wakeAll(waiters, nil)
	}
	return nil
}

// deadlineOf converts a net.Conn deadline to a reading of hub's clock. On a
// simulated hub, whose clock starts at its epoch (2000 by default), a
// deadline more than a year ahead is one computed from time.Now(): it
// would never come, so it panics instead.
func deadlineOf(hub *core.Hub, t time.Time) int64 {
	if t.IsZero() {
		return noDeadline
	}
	if hub.Sim() != nil && t.Sub(hub.WallNow()) > 365*24*time.Hour {
		panic("gevent/sim: deadline computed from time.Now() in a simulation: use gevent.Now(ctx), the virtual time")
	}
	return hub.ClockOf(t)
}

// waitCtx is the context a socket call parks with: the running greenlet of
// the socket's hub, or none (the calling goroutine blocks) when the hub
// runs no greenlet or the socket is a goroutine's.
//
// A socket made with a context that carries no greenlet (a Hub's Context,
// from a plain goroutine) is a goroutine's: its calls always block the
// caller, and never look at which greenlet the hub runs, which a plain
// goroutine cannot read without racing with the hub. A socket made by a
// greenlet parks the hub's running greenlet: call it from the greenlets of
// its hub (as package socket's).
func waitCtx(hub *core.Hub, goroutine bool) context.Context {
	if !goroutine {
		if g := hub.Current(); g != nil {
			return g
		}
	}
	return context.Background()
}

// park parks the caller on l until a wake-up, the deadline dl (a reading of
// hub's clock, later than now) or ctx's end, whose cause it returns. n.mu
// is held on entry and on return, and released while parked.
func (n *Net) park(hub *core.Hub, ctx context.Context, l *core.WaitList, dl int64, kind core.WaitKind, obj unsafe.Pointer) error {
	w, err := core.PrepareOn(ctx, kind, obj)
	if err != nil {
		return err
	}
	l.PushBack(w)
	var stop func() bool
	if dl != noDeadline {
		// The timer only wakes the waiter if it is still on l: a late
		// one that finds the waiter parked again on l gives it a
		// spurious wake-up, which the caller's loop absorbs.
		stop = hub.AfterFunc(time.Duration(dl-hub.Nanotime()), func() {
			n.mu.Lock()
			if l.Remove(w) {
				w.WakeFrom(hub)
			}
			n.mu.Unlock()
		})
	}
	n.mu.Unlock()
	err = w.Block(ctx)
	if stop != nil {
		stop()
	}
	n.mu.Lock()
	if err != nil {
		l.Remove(w)
	}
	w.Release()
	return err
}

// wakeAll wakes every waiter of l; from is the hub whose callback (a
// delivery timer) wakes them, nil elsewhere. n.mu is held.
func wakeAll(l *core.WaitList, from *core.Hub) {
	if l.Len() > 0 {
		l.WakeAllFrom(from)
	}
}

// scopeTimeout is how a socket call reports a timeout that is not its
// deadline (a gevent Timeout scope of the calling greenlet, the deadline of
// Dial's ctx), as package socket does: os.ErrDeadlineExceeded and Timeout()
// like a deadline, and the cause too, so that errors.Is(err, t) still
// answers "is it my timeout?".
type scopeTimeout struct{ cause error }

func (e *scopeTimeout) Error() string   { return e.cause.Error() }
func (e *scopeTimeout) Unwrap() []error { return []error{e.cause, os.ErrDeadlineExceeded} }
func (e *scopeTimeout) Timeout() bool   { return true }
func (e *scopeTimeout) Temporary() bool { return true }

// asTimeout wraps a timeout cause other than os.ErrDeadlineExceeded.
func asTimeout(err error) error {
	if errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded) {
		return &scopeTimeout{cause: err}
	}
	return err
}

// closedError is what a call on a closed socket returns: net.ErrClosed, or
// the kill cause of a calling greenlet that was killed (a crash kills the
// host's greenlets, then closes its sockets: a greenlet that was about to
// resume reports the kill).
func closedError(hub *core.Hub, goroutine bool) error {
	if g, ok := waitCtx(hub, goroutine).(*core.G); ok {
		if err := core.Cause(g); err != nil {
			return err
		}
	}
	return net.ErrClosed
}
