package sim_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/testutil"
	"github.com/gevent-go/gevent/sim"
	"github.com/gevent-go/gevent/socket"
)

// In a simulation the network runs on virtual time: a round trip over a
// 10 ms link takes exactly 20 ms, a read deadline computed with gevent.Now
// fires exactly then, a partition resets a stream after exactly
// StreamTimeout; and the same seed gives the same run (hash), another seed
// another one.
func TestNetOnVirtualTime(t *testing.T) {
	body := func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{Latency: 10 * time.Millisecond, StreamTimeout: time.Minute})
		a, b := n.Host("a"), n.Host("b")
		c, s := pair(ctx, t, a, b)
		start := sim.Elapsed(ctx)
		c.Write([]byte("ping"))
		buf := make([]byte, 4)
		if _, err := io.ReadFull(s, buf); err != nil {
			return err
		}
		s.Write(buf)
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		if rtt := sim.Elapsed(ctx) - start; rtt != 20*time.Millisecond {
			return fmt.Errorf("round trip took %v of virtual time, want 20ms", rtt)
		}
		start = sim.Elapsed(ctx)
		s.SetReadDeadline(gevent.Now(ctx).Add(time.Second))
		if _, err := s.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("read at the deadline: %v", err)
		}
		if d := sim.Elapsed(ctx) - start; d != time.Second {
			return fmt.Errorf("deadline fired after %v, want 1s", d)
		}
		s.SetReadDeadline(time.Time{})
		n.Partition(a, b)
		start = sim.Elapsed(ctx)
		c.Write([]byte("x"))
		if _, err := s.Read(buf); !errors.Is(err, syscall.ECONNRESET) {
			return fmt.Errorf("read across a partition: %v", err)
		}
		// Sent at start, due 10 ms later, held from then for a minute.
		if d := sim.Elapsed(ctx) - start; d != time.Minute+10*time.Millisecond {
			return fmt.Errorf("reset after %v, want 1m0.01s", d)
		}
		return nil
	}
	for _, seed := range []uint64{1, 2} {
		if _, err := sim.Run(t.Context(), sim.Options{Seed: seed}, body); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	// Jitter and loss drawn from the run's seed: runs replay per seed.
	lossy := func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{Jitter: 5 * time.Millisecond, Loss: 0.2, Duplicate: 0.2, Reorder: 0.5})
		a, b := n.Host("a"), n.Host("b")
		rx, _ := socket.ListenPacket(b.Context(ctx), "udp", ":9")
		tx, _ := socket.ListenPacket(a.Context(ctx), "udp", ":9")
		to := rx.LocalAddr()
		var got []byte
		for i := range 50 {
			tx.WriteTo([]byte{byte(i)}, to)
		}
		buf := make([]byte, 1)
		for {
			rx.SetReadDeadline(gevent.Now(ctx).Add(100 * time.Millisecond))
			if _, _, err := rx.ReadFrom(buf); err != nil {
				break
			}
			got = append(got, buf[0])
		}
		sim.Record(ctx, got)
		return nil
	}
	hashes := map[uint64]uint64{}
	for _, seed := range []uint64{1, 2, 3, 1, 2, 3} {
		r, err := sim.Run(t.Context(), sim.Options{Seed: seed}, lossy)
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := hashes[seed]; ok && h != r.Hash {
			t.Fatalf("seed %d: hashes %x and %x", seed, h, r.Hash)
		}
		hashes[seed] = r.Hash
	}
	if hashes[1] == hashes[2] || hashes[2] == hashes[3] {
		t.Fatalf("different seeds, same runs: %x", hashes)
	}
}

// The StreamTimeout of a real partition, one hour of virtual time, takes
// milliseconds.
func TestNetPartitionHourIsFast(t *testing.T) {
	start := time.Now()
	r, err := sim.Run(t.Context(), sim.Options{Seed: 1}, func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{StreamTimeout: time.Hour})
		a, b := n.Host("a"), n.Host("b")
		c, s := pair(ctx, t, a, b)
		n.Partition(a, b)
		c.Write([]byte("x"))
		_, err := s.Read(make([]byte, 1))
		if !errors.Is(err, syscall.ECONNRESET) {
			return fmt.Errorf("read: %v", err)
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return errors.New("a reset reported as a timeout")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Elapsed < time.Hour {
		t.Fatalf("virtual time %v", r.Elapsed)
	}
	t.Logf("%v of virtual time in %v", r.Elapsed, time.Since(start))
}

// In a simulation, a deadline computed from time.Now() (decades after the
// virtual epoch) panics instead of never coming.
func TestNetRealTimeDeadlinePanics(t *testing.T) {
	_, err := sim.Run(t.Context(), sim.Options{Seed: 1}, func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{})
		c, _ := pair(ctx, t, n.Host("a"), n.Host("b"))
		msg := testutil.PanicMessage(func() { c.SetReadDeadline(time.Now().Add(time.Second)) })
		if !strings.HasPrefix(msg, "gevent/sim: deadline computed from time.Now()") {
			return fmt.Errorf("panic %q", msg)
		}
		return c.SetReadDeadline(gevent.Now(ctx).Add(time.Second))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A gevent timeout around a Read, or on Dial's ctx, reads as a timeout
// (os.ErrDeadlineExceeded, Timeout()) that is also the caller's own.
func TestNetGeventTimeouts(t *testing.T) {
	_, err := sim.Run(t.Context(), sim.Options{Seed: 1}, func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{Latency: 10 * time.Millisecond})
		a, b := n.Host("a"), n.Host("b")
		c, _ := pair(ctx, t, a, b)
		to := gevent.NewTimeout(50*time.Millisecond, nil)
		to.Start(ctx)
		_, err := c.Read(make([]byte, 1))
		to.Cancel()
		var ne net.Error
		if !errors.Is(err, to) || !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			return fmt.Errorf("read under a Timeout: %v", err)
		}
		l, _ := b.Listen(ctx, "tcp", ":80")
		defer l.Close()
		dctx, cancel := gevent.WithTimeout(a.Context(ctx), 5*time.Millisecond) // less than the round trip
		defer cancel()
		start := sim.Elapsed(ctx)
		_, err = socket.Dial(dctx, "tcp", "b:80")
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("dial under a timeout: %v", err)
		}
		if d := sim.Elapsed(ctx) - start; d != 5*time.Millisecond {
			return fmt.Errorf("dial gave up after %v", d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A stream a Hold stalled is reset StreamTimeout after a partition comes
// on top of it (and not by a timer of an earlier, repaired partition).
func TestNetHoldThenPartitionResets(t *testing.T) {
	_, err := sim.Run(t.Context(), sim.Options{Seed: 1}, func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{StreamTimeout: 10 * time.Second})
		a, b := n.Host("a"), n.Host("b")
		c, s := pair(ctx, t, a, b)
		n.Partition(a, b)
		gevent.Sleep(ctx, 5*time.Second)
		n.Repair(a, b)
		n.Hold(a, b)
		c.Write([]byte("x"))
		gevent.Sleep(ctx, time.Minute) // held, however long
		start := sim.Elapsed(ctx)
		n.Partition(a, b)
		if _, err := s.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
			return fmt.Errorf("read: %v", err)
		}
		if d := sim.Elapsed(ctx) - start; d != 10*time.Second {
			return fmt.Errorf("reset %v after the partition, want 10s", d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
