package sim_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/sim"
)

func TestHostileNetMisuse(t *testing.T) {
	var nilCtx context.Context // (a variable: staticcheck refuses a literal nil)
	n1, n2 := sim.NewNet(sim.NetOptions{}), sim.NewNet(sim.NetOptions{})
	a, b, x := n1.Host("a"), n1.Host("b"), n2.Host("x")
	simPanics(t, "Partition(foreign host)", func() { n1.Partition(a, x) }, "")
	simPanics(t, "SetLink(foreign host)", func() { n1.SetLink(x, b, sim.NetOptions{}) }, "")
	simPanics(t, "Hold(nil)", func() { n1.Hold(nil, b) }, "nil *Host")
	simPanics(t, "Host.Go(nil fn)", func() { a.Go(context.Background(), "x", nil) }, "")
	simPanics(t, "Host.Context(nil)", func() { a.Context(nilCtx) }, "")
}

func TestHostileSockets(t *testing.T) {
	_, err := runSim(t, sim.Options{}, func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{Window: 8})
		a, b := n.Host("a"), n.Host("b")
		for _, addr := range []string{"b:99999", "b:-1", "nohost:80", "b", ""} {
			if c, err := a.Dial(ctx, "tcp", addr); err == nil {
				c.Close()
				return fmt.Errorf("Dial(%q) succeeded", addr)
			}
		}
		if _, err := a.Dial(ctx, "unix", "b:80"); err == nil {
			return errors.New("Dial(unix) succeeded")
		}
		l, err := b.Listen(ctx, "tcp", ":80")
		if err != nil {
			return err
		}
		if l2, err := b.Listen(ctx, "tcp", ":80"); err == nil {
			l2.Close()
			return errors.New("Listen twice on one port succeeded")
		}
		l.Close()
		if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Accept after Close = %v", err)
		}
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Close twice = %v", err)
		}
		pa, err := a.ListenPacket(ctx, "udp", ":0")
		if err != nil {
			return err
		}
		pb, err := b.ListenPacket(ctx, "udp", ":53")
		if err != nil {
			return err
		}
		if _, err := pa.WriteTo([]byte("x"), nil); err == nil {
			return errors.New("WriteTo(nil addr) succeeded")
		}
		// A datagram larger than the receive buffer is dropped, not split.
		if _, err := pa.WriteTo(make([]byte, 64), pb.LocalAddr()); err != nil {
			return fmt.Errorf("WriteTo(64 B) = %v", err)
		}
		if _, err := pa.WriteTo([]byte("ok"), pb.LocalAddr()); err != nil {
			return err
		}
		buf := make([]byte, 64)
		k, _, err := pb.ReadFrom(buf)
		if err != nil || string(buf[:k]) != "ok" {
			return fmt.Errorf("ReadFrom = %q, %v", buf[:k], err)
		}
		pb.SetReadDeadline(gevent.Now(ctx).Add(-time.Second))
		if _, _, err := pb.ReadFrom(buf); err == nil {
			return errors.New("ReadFrom past its deadline succeeded")
		}
		pa.Close()
		pb.Close()
		if _, _, err := pb.ReadFrom(buf); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("ReadFrom after Close = %v", err)
		}
		if _, err := pa.WriteTo([]byte("x"), pb.LocalAddr()); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("WriteTo after Close = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// A deadline set from a plain goroutine reaches a Read parked on a hub
// (a real one: in a simulation an outside goroutine is not an input).
func TestHostileDeadlineFromOutside(t *testing.T) {
	runNet(t, sim.NetOptions{}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		c, s := pair(ctx, t, a, b)
		defer c.Close()
		defer s.Close()
		r := gevent.Spawn(ctx, func(ctx context.Context) (int, error) { return s.Read(make([]byte, 4)) })
		if err := gevent.Yield(ctx); err != nil {
			return err
		}
		release := gevent.Hold(ctx)
		go func() { defer release(); s.SetReadDeadline(time.Unix(1, 0)) }()
		if _, err := r.Get(ctx); !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("parked Read after a past deadline = %v", err)
		}
		return nil
	})
}

// Writing to a peer that has closed fails with ECONNRESET once the peer's
// end has answered the data with a reset (as TCP's): a writer does not write
// into the void for ever, nor park until its deadline.
func TestHostileWriteToClosedPeer(t *testing.T) {
	runNet(t, sim.NetOptions{Window: 16, MSS: 4}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		c, s := pair(ctx, t, a, b)
		defer c.Close()
		s.Close()
		c.SetWriteDeadline(gevent.Now(ctx).Add(5 * time.Second))
		var err error
		for i := 0; i < 100 && err == nil; i++ {
			_, err = c.Write(make([]byte, 64))
		}
		if !errors.Is(err, syscall.ECONNRESET) {
			return fmt.Errorf("writes to a closed peer: %v, want ECONNRESET", err)
		}
		return nil
	})
}

// A run whose ctx is already cancelled ends at once with the cause.
func TestHostileRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	boom := errors.New("boom")
	cancel(boom)
	_, err := sim.Run(ctx, sim.Options{}, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
	if !errors.Is(err, boom) {
		t.Errorf("Run with a cancelled ctx = %v, want %v", err, boom)
	}
}

// Crash from a plain goroutine kills the host's greenlets (parked ones at
// once) and resets its peers; Restart of a host with no software is a no-op
// bring-up; Go while down only records.
func TestHostileCrashFromOutside(t *testing.T) {
	runNet(t, sim.NetOptions{}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		if gs := a.Restart(ctx); len(gs) != 0 || a.Down() {
			return fmt.Errorf("Restart of a live host without software: %d greenlets, down %v", len(gs), a.Down())
		}
		c, s := pair(ctx, t, a, b)
		defer c.Close()
		defer s.Close()
		gl := b.Go(ctx, "sleeper", func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		if err := gevent.Yield(ctx); err != nil {
			return err
		}
		release := gevent.Hold(ctx)
		go func() { defer release(); b.Crash() }()
		if err := gl.Join(ctx); err != nil {
			return err
		}
		if !errors.Is(gl.Err(), gevent.ErrGreenletExit) {
			return fmt.Errorf("crashed host's greenlet ended with %v, want ErrGreenletExit", gl.Err())
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
			return fmt.Errorf("peer of a crashed host: Read = %v, want ECONNRESET", err)
		}
		if g := b.Go(ctx, "later", func(context.Context) error { return nil }); g != nil {
			return errors.New("Go on a down host started a greenlet")
		}
		gs := b.Restart(ctx)
		if len(gs) != 2 {
			return fmt.Errorf("Restart ran %d greenlets, want 2", len(gs))
		}
		for _, g := range gs {
			g.Kill(ctx)
		}
		return nil
	})
}

// A huge Write into a small window whose reader is killed mid-stream: the
// kill consumes nothing, the write deadline ends the writer with the count of
// bytes that went out, and a new reader gets exactly those bytes.
func TestHostileReaderKilledMidWrite(t *testing.T) {
	_, err := runSim(t, sim.Options{}, func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{Window: 32, MSS: 8})
		c, s := pair(ctx, t, n.Host("a"), n.Host("b"))
		defer c.Close()
		defer s.Close()
		c.SetWriteDeadline(gevent.Now(ctx).Add(10 * time.Second))
		var k int // (Get gives no value with an error)
		w := gevent.Go(ctx, func(ctx context.Context) error {
			var err error
			k, err = c.Write(make([]byte, 1<<20))
			return err
		})
		got := 0
		r := gevent.Go(ctx, func(ctx context.Context) error {
			buf := make([]byte, 5)
			for {
				k, err := s.Read(buf)
				got += k
				if err != nil {
					return err
				}
			}
		})
		if err := gevent.Sleep(ctx, time.Second); err != nil {
			return err
		}
		r.Kill(ctx)
		werr := w.Join(ctx)
		if werr == nil {
			werr = w.Err()
		}
		if !errors.Is(werr, os.ErrDeadlineExceeded) {
			return fmt.Errorf("Write = %d, %v; want the write deadline", k, werr)
		}
		buf := make([]byte, 64)
		for got < k {
			s.SetReadDeadline(gevent.Now(ctx).Add(time.Second))
			m, err := s.Read(buf)
			if err != nil {
				return fmt.Errorf("after %d of %d bytes: %w", got, k, err)
			}
			got += m
		}
		s.SetReadDeadline(gevent.Now(ctx).Add(time.Second))
		if m, err := s.Read(buf); m != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("after all %d bytes: Read = %d, %v (more than was written)", k, m, err)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
