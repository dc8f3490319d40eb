package event_test

import (
	"context"
	"iter"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
)

// BenchmarkEventPingpong is gevent's event_pingpong: one round trip between
// two greenlets through two Events, A: a.Set(); b.Wait(); b.Clear(),
// B: a.Wait(); a.Clear(); b.Set().
func BenchmarkEventPingpong(b *testing.B) {
	b.ReportAllocs()
	gevent.Run(context.Background(), func(ctx context.Context) error {
		var ea, eb event.Event
		n := b.N
		b.ResetTimer()
		pong := gevent.Go(ctx, func(ctx context.Context) error {
			for range n {
				if err := ea.Wait(ctx); err != nil {
					return err
				}
				ea.Clear()
				eb.Set()
			}
			return nil
		})
		ping := gevent.Go(ctx, func(ctx context.Context) error {
			for range n {
				ea.Set()
				if err := eb.Wait(ctx); err != nil {
					return err
				}
				eb.Clear()
			}
			return nil
		})
		if _, err := gevent.JoinAll(ctx, []gevent.Task{pong, ping}, gevent.RaiseError()); err != nil {
			b.Fatal(err)
		}
		return nil
	})
}

// BenchmarkEventPingpongRawChan is the raw-Go baseline: a round trip between
// two goroutines over two unbuffered channels.
func BenchmarkEventPingpongRawChan(b *testing.B) {
	b.ReportAllocs()
	ca, cb := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	n := b.N
	b.ResetTimer()
	go func() {
		defer close(done)
		for range n {
			<-ca
			cb <- struct{}{}
		}
	}()
	for range n {
		ca <- struct{}{}
		<-cb
	}
	<-done
}

// BenchmarkEventPingpongFloorPull is the floor of the round trip for
// greenlets that are iter.Pull coroutines (design §8): a loop resuming two
// bare coroutines in turn, each yielding once per resume, with no hub,
// queue, event or cancellation. Four coroutine switches per op, as in a
// round trip through the hub (A parks, B resumes, B parks, A resumes).
func BenchmarkEventPingpongFloorPull(b *testing.B) {
	mk := func() (func() (struct{}, bool), func()) {
		return iter.Pull(func(yield func(struct{}) bool) {
			for yield(struct{}{}) {
			}
		})
	}
	na, sa := mk()
	nb, sb := mk()
	defer sa()
	defer sb()
	b.ResetTimer()
	for range b.N {
		na()
		nb()
	}
}
