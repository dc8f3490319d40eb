package lock_test

import (
	"context"
	"sync"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/lock"
)

// BenchmarkSemaphoreUncontended is one TryAcquire + Release of a free unit.
func BenchmarkSemaphoreUncontended(b *testing.B) {
	b.ReportAllocs()
	s := lock.NewSemaphore(1)
	for b.Loop() {
		if !s.TryAcquire() {
			b.Fatal("TryAcquire failed")
		}
		s.Release()
	}
}

// BenchmarkSemaphoreUncontendedRawChan is the same with a buffered channel
// used as a semaphore.
func BenchmarkSemaphoreUncontendedRawChan(b *testing.B) {
	b.ReportAllocs()
	ch := make(chan struct{}, 1)
	for b.Loop() {
		select {
		case ch <- struct{}{}:
		default:
			b.Fatal("channel full")
		}
		<-ch
	}
}

// BenchmarkSemaphoreUncontendedRawMutex is TryLock + Unlock of a sync.Mutex.
func BenchmarkSemaphoreUncontendedRawMutex(b *testing.B) {
	b.ReportAllocs()
	var mu sync.Mutex
	for b.Loop() {
		if !mu.TryLock() {
			b.Fatal("TryLock failed")
		}
		mu.Unlock()
	}
}

// BenchmarkSemaphorePingpong is a round trip between two greenlets through
// two Semaphore(0): A: a.Release(); b.Acquire(), B: a.Acquire(); b.Release().
func BenchmarkSemaphorePingpong(b *testing.B) {
	b.ReportAllocs()
	gevent.Run(context.Background(), func(ctx context.Context) error {
		var sa, sb lock.Semaphore
		n := b.N
		b.ResetTimer()
		pong := gevent.Go(ctx, func(ctx context.Context) error {
			for range n {
				if err := sa.Acquire(ctx); err != nil {
					return err
				}
				sb.Release()
			}
			return nil
		})
		ping := gevent.Go(ctx, func(ctx context.Context) error {
			for range n {
				sa.Release()
				if err := sb.Acquire(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if _, err := gevent.JoinAll(ctx, []gevent.Task{pong, ping}, gevent.RaiseError()); err != nil {
			b.Fatal(err)
		}
		return nil
	})
}

// BenchmarkSemaphorePingpongRawChan is the raw-Go baseline: a round trip
// between two goroutines over two unbuffered channels.
func BenchmarkSemaphorePingpongRawChan(b *testing.B) {
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
