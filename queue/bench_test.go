package queue_test

import (
	"context"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/queue"
)

// pingpong is the op of bench/gevent/queue_pingpong.py: ping does
// qa.Put(i); qb.Get(), pong does qb.Put(qa.Get()), on one hub. One op is one
// round trip.
func pingpong(b *testing.B, qa, qb interface {
	Put(context.Context, int) error
	Get(context.Context) (int, error)
}) {
	gevent.Run(context.Background(), func(ctx context.Context) error {
		n := b.N
		pong := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			for range n {
				v, err := qa.Get(ctx)
				if err != nil {
					return 0, err
				}
				if err := qb.Put(ctx, v); err != nil {
					return 0, err
				}
			}
			return 0, nil
		})
		ping := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			for i := range n {
				if err := qa.Put(ctx, i); err != nil {
					return 0, err
				}
				if _, err := qb.Get(ctx); err != nil {
					return 0, err
				}
			}
			return 0, nil
		})
		b.ResetTimer()
		if _, err := gevent.JoinAll(ctx, []gevent.Task{pong, ping}, gevent.RaiseError()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		return nil
	})
}

func BenchmarkQueuePingpong(b *testing.B) {
	b.ReportAllocs()
	pingpong(b, queue.New[int](1), queue.New[int](1))
}

func BenchmarkChannelPingpong(b *testing.B) {
	b.ReportAllocs()
	pingpong(b, new(queue.Channel[int]), new(queue.Channel[int]))
}

// rawPingpong is the raw-Go baseline: the same round trip between two
// goroutines over Go channels.
func rawPingpong(b *testing.B, qa, qb chan int) {
	b.ReportAllocs()
	done := make(chan struct{})
	n := b.N
	go func() {
		for range n {
			qb <- <-qa
		}
		close(done)
	}()
	b.ResetTimer()
	for i := range n {
		qa <- i
		<-qb
	}
	<-done
}

// BenchmarkQueuePingpongRawChan is the baseline of BenchmarkQueuePingpong:
// cap-1 channels.
func BenchmarkQueuePingpongRawChan(b *testing.B) {
	rawPingpong(b, make(chan int, 1), make(chan int, 1))
}

// BenchmarkChannelPingpongRawChan is the baseline of BenchmarkChannelPingpong:
// unbuffered channels.
func BenchmarkChannelPingpongRawChan(b *testing.B) {
	rawPingpong(b, make(chan int), make(chan int))
}

// BenchmarkQueueTryPutTryGet measures the uncontended fast path.
func BenchmarkQueueTryPutTryGet(b *testing.B) {
	b.ReportAllocs()
	q := queue.New[int](16)
	for b.Loop() {
		q.TryPut(1)
		q.TryGet()
	}
}

// BenchmarkQueueTryPutTryGetRawChan is its baseline: a buffered channel with
// non-blocking sends and receives.
func BenchmarkQueueTryPutTryGetRawChan(b *testing.B) {
	b.ReportAllocs()
	c := make(chan int, 16)
	for b.Loop() {
		select {
		case c <- 1:
		default:
		}
		select {
		case <-c:
		default:
		}
	}
}

// BenchmarkQueuePutGet is Put then Get on a queue with room, from a greenlet
// (neither switches).
func BenchmarkQueuePutGet(b *testing.B) {
	b.ReportAllocs()
	gevent.Run(context.Background(), func(ctx context.Context) error {
		q := queue.New[int](16)
		for b.Loop() {
			q.Put(ctx, 1)
			q.Get(ctx)
		}
		return nil
	})
}

func BenchmarkPriorityQueueTryPutTryGet(b *testing.B) {
	b.ReportAllocs()
	q := queue.NewOrdered[int](0)
	for i := range 64 {
		q.TryPut(i)
	}
	i := 0
	for b.Loop() {
		q.TryPut(i & 127)
		q.TryGet()
		i++
	}
}
