package sim_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/sim"
	"github.com/gevent-go/gevent/socket"
)

// datagrams sends count numbered datagrams from a to b in one go (one
// reading of the hub clock) and returns the numbers b receives, in order,
// until nothing more arrives.
func datagrams(ctx context.Context, a, b *sim.Host, count int) ([]uint32, error) {
	rx, err := socket.ListenPacket(b.Context(ctx), "udp", ":9")
	if err != nil {
		return nil, err
	}
	defer rx.Close()
	tx, err := socket.Dial(a.Context(ctx), "udp", "b:9")
	if err != nil {
		return nil, err
	}
	defer tx.Close()
	var buf [4]byte
	for i := range count {
		binary.BigEndian.PutUint32(buf[:], uint32(i))
		if _, err := tx.Write(buf[:]); err != nil {
			return nil, err
		}
	}
	var got []uint32
	for {
		rx.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		k, from, err := rx.ReadFrom(buf[:])
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return got, nil
		}
		if err != nil {
			return nil, err
		}
		if k != 4 || from.String() != tx.LocalAddr().String() {
			return nil, fmt.Errorf("datagram of %d bytes from %v", k, from)
		}
		got = append(got, binary.BigEndian.Uint32(buf[:]))
	}
}

// stats counts what a run of datagrams shows: received, distinct and
// inversions (a datagram received after a later-sent one).
func stats(got []uint32) (received, distinct, inversions int) {
	seen := map[uint32]bool{}
	var maxSeen uint32
	for i, v := range got {
		if !seen[v] {
			distinct++
			seen[v] = true
		}
		if i > 0 && v < maxSeen {
			inversions++
		}
		maxSeen = max(maxSeen, v)
	}
	return len(got), distinct, inversions
}

// Loss, duplication and reordering happen at the configured rates, the
// same way for the same seed and differently for another; a clean link
// delivers every datagram once, in order.
func TestDatagramFaultsPerSeed(t *testing.T) {
	const count = 2000
	geventtest.Run(t, func(ctx context.Context) error {
		clean := sim.NewNet(sim.NetOptions{})
		got, err := datagrams(ctx, clean.Host("a"), clean.Host("b"), count)
		if err != nil {
			return err
		}
		if r, d, inv := stats(got); r != count || d != count || inv != 0 {
			return fmt.Errorf("clean link: received %d, distinct %d, inversions %d", r, d, inv)
		}
		opts := sim.NetOptions{Latency: time.Millisecond, Loss: 0.2, Duplicate: 0.1, Reorder: 0.3}
		runs := map[uint64][]uint32{}
		for _, seed := range []uint64{1, 2, 3, 1} {
			opts.Seed = seed
			n := sim.NewNet(opts)
			arrival, err := datagrams(ctx, n.Host("a"), n.Host("b"), count)
			if err != nil {
				return err
			}
			// Which datagrams are lost or duplicated is the seed's
			// choice alone; their order also depends on the hub clock
			// (the same for a simulated hub, not for this real one).
			got := slices.Sorted(slices.Values(arrival))
			if prev, ok := runs[seed]; ok {
				if !slices.Equal(prev, got) {
					return fmt.Errorf("seed %d: two runs lost or duplicated different datagrams", seed)
				}
				continue
			}
			runs[seed] = got
			r, d, _ := stats(got)
			_, _, inv := stats(arrival)
			// Expected: each datagram is sent 1.1 times, each copy lost
			// with p 0.2; a number is missing when all its copies are.
			within := func(what string, v int, mean, p float64) error {
				sd := math.Sqrt(count * p * (1 - p))
				if math.Abs(float64(v)-mean) > 5*sd+1 {
					return fmt.Errorf("seed %d: %s %d, expected about %.0f", seed, what, v, mean)
				}
				return nil
			}
			if err := errors.Join(
				within("received", r, count*1.1*0.8, 0.3),
				within("distinct", d, count*(0.9*0.8+0.1*(1-0.04)), 0.2),
			); err != nil {
				return err
			}
			if inv < count/20 {
				return fmt.Errorf("seed %d: only %d inversions with Reorder 0.3", seed, inv)
			}
			t.Logf("seed %d: received %d, distinct %d, inversions %d", seed, r, d, inv)
		}
		if slices.Equal(runs[1], runs[2]) || slices.Equal(runs[2], runs[3]) {
			return errors.New("different seeds gave the same run")
		}
		return nil
	})
}

// A partition drops datagrams sent across it, and holds stream segments
// until Repair, which delivers them in order.
func TestPartitionAndRepair(t *testing.T) {
	runNet(t, sim.NetOptions{}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		c, s := pair(ctx, t, a, b)
		rx, _ := socket.ListenPacket(b.Context(ctx), "udp", ":9")
		tx, _ := socket.ListenPacket(a.Context(ctx), "udp", ":0")
		to := &net.UDPAddr{IP: b.Addr().AsSlice(), Port: 9}
		n.Partition(a, b)
		c.Write([]byte("held "))
		c.Write([]byte("in order"))
		tx.WriteTo([]byte("lost"), to)
		gevent.Sleep(ctx, 20*time.Millisecond)
		s.SetReadDeadline(time.Now())
		if k, err := s.Read(make([]byte, 16)); !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("read across a partition: %d, %v", k, err)
		}
		s.SetReadDeadline(time.Time{})
		n.Repair(a, b)
		tx.WriteTo([]byte("after"), to)
		buf := make([]byte, 13)
		if _, err := readFull(s, buf); err != nil || string(buf) != "held in order" {
			return fmt.Errorf("after Repair: %q, %v", buf, err)
		}
		k, _, err := rx.ReadFrom(buf)
		if err != nil || string(buf[:k]) != "after" {
			return fmt.Errorf("datagram after Repair: %q, %v (the one sent during the partition must be lost)", buf[:k], err)
		}
		return nil
	})
}

// A stream held by a partition longer than StreamTimeout is reset on both
// ends.
func TestPartitionResetsAfterStreamTimeout(t *testing.T) {
	runNet(t, sim.NetOptions{StreamTimeout: 20 * time.Millisecond}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		c, s := pair(ctx, t, a, b)
		n.Partition(a, b)
		c.Write([]byte("x"))
		if _, err := s.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
			return fmt.Errorf("server read: %v, want ECONNRESET", err)
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
			return fmt.Errorf("client read: %v, want ECONNRESET", err)
		}
		n.Repair(a, b)
		return nil
	})
}

// Hold queues everything, and Release delivers it in send order even where
// jitter would have reordered the datagrams.
func TestHoldRelease(t *testing.T) {
	runNet(t, sim.NetOptions{Jitter: 5 * time.Millisecond, Seed: 3}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		c, s := pair(ctx, t, a, b)
		rx, _ := socket.ListenPacket(b.Context(ctx), "udp", ":9")
		tx, _ := socket.ListenPacket(a.Context(ctx), "udp", ":0")
		to := &net.UDPAddr{IP: b.Addr().AsSlice(), Port: 9}
		n.Hold(a, b)
		c.Write([]byte("stream"))
		for i := range 50 {
			tx.WriteTo([]byte{byte(i)}, to)
		}
		gevent.Sleep(ctx, 30*time.Millisecond) // everything is due, and held
		rx.SetReadDeadline(time.Now())
		if _, _, err := rx.ReadFrom(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("datagram through a Hold: %v", err)
		}
		rx.SetReadDeadline(time.Time{})
		n.Release(a, b)
		buf := make([]byte, 6)
		for i := range 50 {
			k, _, err := rx.ReadFrom(buf)
			if err != nil || k != 1 || buf[0] != byte(i) {
				return fmt.Errorf("datagram %d after Release: %v, %v", i, buf[:k], err)
			}
		}
		if _, err := readFull(s, buf); err != nil || string(buf) != "stream" {
			return fmt.Errorf("stream after Release: %q, %v", buf, err)
		}
		return nil
	})
}
