package sim_test

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/sim"
)

// BenchmarkSimNetStream1KiB sends 1 KiB messages over a simulated stream
// (no latency, the default 64 KiB window) from one greenlet to another and
// reports messages per second of wall time.
func BenchmarkSimNetStream1KiB(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(1024)
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{Latency: -1})
		c, s := pair(ctx, b, n.Host("a"), n.Host("b"))
		msg := make([]byte, 1024)
		w := gevent.Go(ctx, func(ctx context.Context) error {
			for range b.N {
				if _, err := c.Write(msg); err != nil {
					return err
				}
			}
			return nil
		})
		buf := make([]byte, 1024)
		b.ResetTimer()
		for range b.N {
			if _, err := io.ReadFull(s, buf); err != nil {
				return err
			}
		}
		b.StopTimer()
		return w.Join(ctx)
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSimNetStream1KiBRawPipe is the raw-Go shape beside it: net.Pipe
// between two goroutines.
func BenchmarkSimNetStream1KiBRawPipe(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(1024)
	c, s := net.Pipe()
	defer s.Close()
	msg := make([]byte, 1024)
	done := make(chan error, 1)
	go func() {
		defer c.Close()
		for range b.N {
			if _, err := c.Write(msg); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	buf := make([]byte, 1024)
	b.ResetTimer()
	for range b.N {
		if _, err := io.ReadFull(s, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSimNetStream1KiBSimulated is the same exchange in a simulation
// (sim.Run: virtual time, a 1 ms link, every step hashed).
func BenchmarkSimNetStream1KiBSimulated(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(1024)
	_, err := sim.Run(context.Background(), sim.Options{Seed: 1, MaxSteps: -1}, func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{})
		c, s := pair(ctx, b, n.Host("a"), n.Host("b"))
		msg := make([]byte, 1024)
		w := gevent.Go(ctx, func(ctx context.Context) error {
			for range b.N {
				if _, err := c.Write(msg); err != nil {
					return err
				}
			}
			return nil
		})
		buf := make([]byte, 1024)
		b.ResetTimer()
		for range b.N {
			if _, err := io.ReadFull(s, buf); err != nil {
				return err
			}
		}
		b.StopTimer()
		return w.Join(ctx)
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
