//go:build linux

package poll

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent/internal/core"
)

// body is a greenlet body for these tests: the function gets the greenlet,
// which is also its context.
type body func(g *core.G) error

func (b body) RunBody(g *core.G) error { return b(g) }

// spawn starts f in a new greenlet on ctx's hub.
func spawn(ctx context.Context, f func(g *core.G) error) *core.G {
	g := new(core.G)
	g.Init(core.HubOf(ctx), ctx, body(f))
	g.Start()
	return g
}

// run runs f as the main greenlet of a new hub, under a deadline, and fails
// the test with its error. It returns the hub (closed by then).
func run(t *testing.T, f func(g *core.G) error) *core.Hub {
	t.Helper()
	watchdog := time.AfterFunc(time.Minute, func() {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		panic(fmt.Sprintf("%s: still running after a minute\n\n%s", t.Name(), buf))
	})
	defer watchdog.Stop()
	// Failures are reported through the test; keep the hub's log quiet.
	h := core.NewHub(context.Background(), core.Options{ErrorHandler: func(*core.G, error) {}})
	main := new(core.G)
	main.Init(h, h.Context(), body(f))
	main.Start()
	h.Serve(context.Background(), main)
	if err := main.Result(); err != nil {
		t.Fatalf("main: %v", err)
	}
	return h
}

// pipe returns the non-blocking read and write ends of a pipe, closed when
// the test ends.
func pipe(t *testing.T) (r, w int) {
	t.Helper()
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Close(fds[0])
		syscall.Close(fds[1])
	})
	return fds[0], fds[1]
}

// yieldUntil yields until cond holds, at most 1000 times, and reports
// whether it held: how a test waits for work queued on its hub.
func yieldUntil(ctx context.Context, cond func() bool) bool {
	for range 1000 {
		if cond() {
			return true
		}
		if _, err := core.Yield(ctx); err != nil {
			return false
		}
	}
	return cond()
}

// parkedOn returns a condition: exactly n callers are parked on p.
func parkedOn(p *Poller, n int64) func() bool {
	return func() bool { return p.nwait.Load() == n }
}

// TestRegister pins registration: once per Desc (a second Register is a
// no-op keeping the slot), For returns the hub's one poller, and a closed
// Desc refuses Register and Wait with net.ErrClosed, Close being
// idempotent.
func TestRegister(t *testing.T) {
	r, _ := pipe(t)
	run(t, func(g *core.G) error {
		p := For(g.Hub())
		if p == nil || For(g.Hub()) != p {
			return errors.New("For does not return one poller per hub")
		}
		var d Desc
		if d.Registered() {
			return errors.New("zero Desc registered")
		}
		if err := d.Register(p, r); err != nil {
			return fmt.Errorf("Register = %v", err)
		}
		slot := d.slot
		if err := d.Register(p, r); err != nil || d.slot != slot || !d.Registered() {
			return fmt.Errorf("second Register = %v, slot %d (was %d)", err, d.slot, slot)
		}
		d.Close(r)
		d.Close(r)
		if d.Registered() || !d.Closed() {
			return errors.New("closed Desc still registered, or not closed")
		}
		if err := d.Register(p, r); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Register after Close = %v, want net.ErrClosed", err)
		}
		if err := d.Wait(g, ModeRead, time.Time{}); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Wait after Close = %v, want net.ErrClosed", err)
		}
		return nil
	})
}

// TestReadinessWakesInOrder parks two readers and a writer on one pipe
// end's Desc (the writer on the read end never becomes ready): data makes
// the readers' Waits return nil, in the order they parked, while the writer
// stays parked; the poller is busy exactly while someone is parked.
func TestReadinessWakesInOrder(t *testing.T) {
	r, w := pipe(t)
	run(t, func(g *core.G) error {
		p := For(g.Hub())
		var d Desc
		if err := d.Register(p, r); err != nil {
			return err
		}
		defer d.Close(r)
		var order []int
		reader := func(i int) func(g *core.G) error {
			return func(g *core.G) error {
				if err := d.Wait(g, ModeRead, time.Time{}); err != nil {
					return err
				}
				order = append(order, i)
				return nil
			}
		}
		r0, r1 := spawn(g, reader(0)), spawn(g, reader(1))
		wr := spawn(g, func(g *core.G) error { return d.Wait(g, ModeWrite, time.Time{}) })
		if !yieldUntil(g, parkedOn(p, 3)) || !p.Busy() {
			return fmt.Errorf("%d callers parked, want 3", p.nwait.Load())
		}
		if _, err := syscall.Write(w, []byte("x")); err != nil {
			return err
		}
		for _, x := range []*core.G{r0, r1} {
			if err := x.Join(g); err != nil {
				return err
			}
			if err := x.Result(); err != nil {
				return fmt.Errorf("reader: %v", err)
			}
		}
		if !slices.Equal(order, []int{0, 1}) {
			return fmt.Errorf("readers woke in order %v, want [0 1]", order)
		}
		if wr.Dead() || p.nwait.Load() != 1 {
			return fmt.Errorf("the writer woke on readable data (dead %v, %d parked)", wr.Dead(), p.nwait.Load())
		}
		wr.Kill(core.ErrGreenletExit)
		if err := wr.Join(g); err != nil {
			return err
		}
		if !errors.Is(wr.Result(), core.ErrGreenletExit) || p.Busy() {
			return fmt.Errorf("killed writer: %v, busy %v", wr.Result(), p.Busy())
		}
		return nil
	})
}

// TestWritableAfterFull fills a pipe, parks a writer on the write end, and
// drains the pipe: the new edge wakes the writer, which can then write.
func TestWritableAfterFull(t *testing.T) {
	r, w := pipe(t)
	run(t, func(g *core.G) error {
		p := For(g.Hub())
		var d Desc
		if err := d.Register(p, w); err != nil {
			return err
		}
		defer d.Close(w)
		buf := make([]byte, 64<<10)
		for {
			if _, err := syscall.Write(w, buf); err == syscall.EAGAIN {
				break
			} else if err != nil {
				return err
			}
		}
		writer := spawn(g, func(g *core.G) error {
			for {
				_, err := syscall.Write(w, []byte("y"))
				if err != syscall.EAGAIN {
					return err
				}
				if err := d.Wait(g, ModeWrite, time.Time{}); err != nil {
					return err
				}
			}
		})
		if !yieldUntil(g, parkedOn(p, 1)) {
			return errors.New("writer did not park on a full pipe")
		}
		for {
			if _, err := syscall.Read(r, buf); err == syscall.EAGAIN {
				break
			} else if err != nil {
				return err
			}
		}
		if err := writer.Join(g); err != nil {
			return err
		}
		return writer.Result()
	})
}

// TestDeadlines pins Wait's deadline handling: one already past fails at
// once without parking; a near one fails with os.ErrDeadlineExceeded no
// earlier than it; one past the year 2262 (beyond time.Duration) or at
// time.Now().Add(math.MaxInt64) waits, like a standard net.Conn, until
// something wakes it.
func TestDeadlines(t *testing.T) {
	r, _ := pipe(t)
	run(t, func(g *core.G) error {
		p := For(g.Hub())
		var d Desc
		if err := d.Register(p, r); err != nil {
			return err
		}
		defer d.Close(r)
		if err := d.Wait(g, ModeRead, time.Now().Add(-time.Second)); !errors.Is(err, os.ErrDeadlineExceeded) || p.Busy() {
			return fmt.Errorf("past deadline: Wait = %v, busy %v", err, p.Busy())
		}
		const near = 20 * time.Millisecond
		start := time.Now()
		if err := d.Wait(g, ModeRead, start.Add(near)); !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("near deadline: Wait = %v", err)
		}
		if el := time.Since(start); el < near {
			return fmt.Errorf("near deadline: Wait returned after %v, before the deadline", el)
		}
		for _, far := range []time.Time{time.Unix(1<<40, 0), time.Now().Add(math.MaxInt64)} {
			var err error
			waiter := spawn(g, func(g *core.G) error {
				err = d.Wait(g, ModeRead, far)
				return nil
			})
			if !yieldUntil(g, parkedOn(p, 1)) {
				return fmt.Errorf("deadline %v: Wait did not park (%v)", far, err)
			}
			// Let the hub go round its loop (and its timers) a while.
			if err := g.Hub().Sleep(g, g, 10*time.Millisecond); err != nil {
				return err
			}
			if waiter.Dead() {
				return fmt.Errorf("deadline %v: Wait returned %v at once", far, err)
			}
			d.Wake(ModeRead) // re-evaluate the deadline: a spurious wake-up
			if err := waiter.Join(g); err != nil {
				return err
			}
			if err != nil {
				return fmt.Errorf("deadline %v: Wait = %v after Wake, want nil", far, err)
			}
		}
		return nil
	})
}

// TestWakeAndClose pins the wake-ups that come from outside the poller: Wake
// wakes only the callers of its mode, and Close (from another goroutine)
// wakes every parked caller, whose next Wait fails with net.ErrClosed.
func TestWakeAndClose(t *testing.T) {
	r, _ := pipe(t)
	run(t, func(g *core.G) error {
		p := For(g.Hub())
		var d Desc
		if err := d.Register(p, r); err != nil {
			return err
		}
		results := make([][]error, 4)
		waiter := func(i int, mode Mode) func(g *core.G) error {
			return func(g *core.G) error {
				for {
					err := d.Wait(g, mode, time.Time{})
					results[i] = append(results[i], err)
					if err != nil {
						return nil
					}
				}
			}
		}
		for i, m := range []Mode{ModeRead, ModeWrite, ModeRead, ModeWrite} {
			spawn(g, waiter(i, m))
		}
		if !yieldUntil(g, parkedOn(p, 4)) {
			return errors.New("waiters did not park")
		}
		d.Wake(ModeRead)
		if !yieldUntil(g, func() bool { return len(results[0]) == 1 && len(results[2]) == 1 }) ||
			len(results[1]) != 0 || len(results[3]) != 0 || !yieldUntil(g, parkedOn(p, 4)) {
			return fmt.Errorf("after Wake(ModeRead): %v", results)
		}
		closed := make(chan struct{})
		go func() { d.Close(-1); close(closed) }() // Close from any goroutine
		// Blocks the hub on purpose, briefly: Close needs nothing from it
		// (its wake-ups are queued for the hub to run afterwards).
		<-closed
		if !yieldUntil(g, parkedOn(p, 0)) {
			return fmt.Errorf("after Close: %d still parked", p.nwait.Load())
		}
		if !yieldUntil(g, func() bool {
			for _, rs := range results {
				if len(rs) == 0 || rs[len(rs)-1] == nil {
					return false
				}
			}
			return true
		}) {
			return fmt.Errorf("after Close: %v", results)
		}
		for i, rs := range results {
			if !errors.Is(rs[len(rs)-1], net.ErrClosed) {
				return fmt.Errorf("waiter %d: Waits returned %v, want a last net.ErrClosed", i, rs)
			}
		}
		return nil
	})
}

// TestSlotReuseIgnoresStaleEvents frees a slot while its descriptor stays in
// the epoll set (Close(-1)), reuses the slot for another descriptor, and
// makes the old one ready: the event carries the old generation and must not
// wake the new descriptor's callers; the new descriptor's own readiness
// does.
func TestSlotReuseIgnoresStaleEvents(t *testing.T) {
	ra, wa := pipe(t)
	rb, wb := pipe(t)
	run(t, func(g *core.G) error {
		p := For(g.Hub())
		var d1, d2 Desc
		if err := d1.Register(p, ra); err != nil {
			return err
		}
		d1.Close(-1) // ra stays in the epoll set under the old generation
		if err := d2.Register(p, rb); err != nil {
			return err
		}
		defer d2.Close(rb)
		if d2.slot != d1.slot {
			t.Logf("slot not reused (%d, %d): the stale-event check is not exercised", d1.slot, d2.slot)
		}
		if _, err := syscall.Write(wa, []byte("stale")); err != nil {
			return err
		}
		if err := d2.Wait(g, ModeRead, time.Now().Add(30*time.Millisecond)); !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("new Desc's Wait = %v after the old descriptor became ready, want a timeout", err)
		}
		if _, err := syscall.Write(wb, []byte("fresh")); err != nil {
			return err
		}
		return d2.Wait(g, ModeRead, time.Now().Add(10*time.Second))
	})
}

// TestPollerClosedWithHub checks that the hub closes its poller when it
// stops: a Desc registered on it is detached, and registering on the closed
// poller fails with net.ErrClosed.
func TestPollerClosedWithHub(t *testing.T) {
	r, _ := pipe(t)
	var d Desc
	var p *Poller
	run(t, func(g *core.G) error {
		p = For(g.Hub())
		return d.Register(p, r)
	})
	if d.Registered() {
		t.Error("Desc still registered after its hub closed")
	}
	var d2 Desc
	if err := d2.Register(p, r); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Register on a closed poller = %v, want net.ErrClosed", err)
	}
	p.Close() // idempotent
}

// TestWakeupNeverLost races Wakeup from another goroutine against a Poll
// with no time limit, many times: every Poll returns (the notified/waiting
// hand-off loses no wake-up), and a Poll(0) with nobody parked returns at
// once.
func TestWakeupNeverLost(t *testing.T) {
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Poll(0) {
		t.Error("Poll(0) with nothing registered reported I/O")
	}
	rounds := 2000
	if testing.Short() {
		rounds = 200
	}
	watchdog := time.AfterFunc(time.Minute, func() { panic("TestWakeupNeverLost: a Poll(-1) was never woken") })
	defer watchdog.Stop()
	for i := range rounds {
		done := make(chan struct{})
		go func() {
			if i%3 == 0 {
				runtime.Gosched()
			}
			p.Wakeup()
			close(done)
		}()
		if p.Poll(-1) {
			t.Fatalf("round %d: a Wakeup reported as I/O", i)
		}
		<-done
	}
}
