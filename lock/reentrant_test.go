package lock_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/lock"
)

func TestBoundedSemaphore(t *testing.T) {
	b := lock.NewBoundedSemaphore(2)
	wantPanic(t, "gevent: semaphore released too many times", b.Release)
	if b.Value() != 2 {
		t.Fatalf("Value() = %d after a refused Release, want 2", b.Value())
	}
	//lint:ignore SA4000 each TryAcquire takes a unit: the repeated calls are the test
	if !b.TryAcquire() || !b.TryAcquire() || b.TryAcquire() {
		t.Fatal("TryAcquire did not take exactly two units")
	}
	b.Release()
	b.Release()
	wantPanic(t, "gevent: semaphore released too many times", b.Release)
	// Waiters are served as by Semaphore.
	run(t, func(ctx context.Context) error {
		z := lock.NewBoundedSemaphore(1)
		if err := z.Acquire(ctx); err != nil {
			return err
		}
		g := gevent.Go(ctx, z.Acquire)
		gevent.Yield(ctx)
		z.Release()
		if err := g.Join(ctx); err != nil || g.Err() != nil {
			return fmt.Errorf("waiter: %v, %v", err, g.Err())
		}
		if z.Value() != 0 {
			return fmt.Errorf("Value() = %d, want 0", z.Value())
		}
		return nil
	})
}

func TestDummy(t *testing.T) {
	var d lock.Dummy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 3 {
		if err := d.Acquire(ctx); err != nil || !d.TryAcquire() {
			t.Fatal("Dummy refused a unit")
		}
	}
	d.Release()
	if n, err := d.Wait(ctx); n != 1 || err != nil {
		t.Fatalf("Wait = %d, %v; want 1, nil", n, err)
	}
	if d.Locked() || !d.Ready() || d.Value() != 1 {
		t.Fatal("Dummy is not always free")
	}
	ran := false
	if d.OnReady(func() { ran = true })() || !ran {
		t.Fatal("OnReady did not run f at once")
	}
	wantPanic(t, "gevent: lock: OnReady: nil f", func() { d.OnReady(nil) })
}

func TestReentrant(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var r lock.Reentrant
		if r.Locked() {
			return errors.New("zero Reentrant is locked")
		}
		for range 3 {
			if err := r.Acquire(ctx); err != nil {
				return err
			}
		}
		if !r.TryAcquire(ctx) {
			return errors.New("owner's TryAcquire = false")
		}
		var order []string
		other := gevent.Go(ctx, func(ctx context.Context) error {
			if r.TryAcquire(ctx) {
				return errors.New("non-owner's TryAcquire = true")
			}
			if err := r.Release(ctx); !errors.Is(err, lock.ErrNotOwner) {
				return fmt.Errorf("non-owner's Release = %v, want ErrNotOwner", err)
			}
			if err := r.Acquire(ctx); err != nil {
				return err
			}
			order = append(order, "other acquired")
			return r.Release(ctx)
		})
		for i := range 4 {
			gevent.Yield(ctx)
			if !r.Locked() || len(order) != 0 {
				return fmt.Errorf("after %d releases: Locked %v, order %v", i, r.Locked(), order)
			}
			if err := r.Release(ctx); err != nil {
				return err
			}
		}
		order = append(order, "main released")
		if err := other.Join(ctx); err != nil || other.Err() != nil {
			return fmt.Errorf("other: %v, %v", err, other.Err())
		}
		if want := []string{"main released", "other acquired"}; !slices.Equal(order, want) {
			return fmt.Errorf("order = %v, want %v", order, want)
		}
		if r.Locked() {
			return errors.New("Locked() after every release")
		}
		if err := r.Release(ctx); !errors.Is(err, lock.ErrNotOwner) {
			return fmt.Errorf("Release of a free lock = %v, want ErrNotOwner", err)
		}
		return nil
	})
}

func TestReentrantAcquireTimeout(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var r lock.Reentrant
		holder := gevent.Go(ctx, func(ctx context.Context) error {
			if err := r.Acquire(ctx); err != nil {
				return err
			}
			return gevent.Sleep(ctx, time.Hour)
		})
		gevent.Yield(ctx)
		tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		if err := r.Acquire(tctx); !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("Acquire = %v, want a timeout", err)
		}
		// The holder dies holding it: nobody else can release it.
		holder.Kill(ctx)
		if err := r.Release(ctx); !errors.Is(err, lock.ErrNotOwner) {
			return fmt.Errorf("Release by a non-owner = %v, want ErrNotOwner", err)
		}
		if !r.Locked() {
			return errors.New("lock freed by a timed-out waiter or a non-owner")
		}
		return nil
	})
}

// Plain goroutines hold the lock anonymously: not reentrant, releasable by
// any plain goroutine, not by a greenlet.
func TestReentrantGoroutines(t *testing.T) {
	var r lock.Reentrant
	bg := context.Background()
	if err := r.Acquire(bg); err != nil {
		t.Fatal(err)
	}
	if r.TryAcquire(bg) {
		t.Fatal("a plain goroutine re-entered: TryAcquire = true")
	}
	run(t, func(ctx context.Context) error {
		if err := r.Release(ctx); !errors.Is(err, lock.ErrNotOwner) {
			return fmt.Errorf("greenlet's Release of a goroutine-held lock = %v, want ErrNotOwner", err)
		}
		return nil
	})
	done := make(chan error)
	go func() { done <- r.Release(bg) }()
	if err := <-done; err != nil {
		t.Fatalf("another goroutine's Release = %v, want nil", err)
	}
	if r.Locked() {
		t.Fatal("Locked() after Release")
	}
	// A greenlet holding it blocks a goroutine until it lets go.
	h := gevent.NewHub()
	served := make(chan error, 1)
	go func() { served <- h.Serve(bg) }()
	var acquired, release = make(chan struct{}), make(chan struct{})
	g := gevent.Go(h.Context(), func(ctx context.Context) error {
		if err := r.Acquire(ctx); err != nil {
			return err
		}
		if err := r.Acquire(ctx); err != nil { // re-entry
			return err
		}
		close(acquired)
		// Park without blocking the hub until the goroutine has tried.
		if _, err := gevent.Blocking(ctx, func(context.Context) (struct{}, error) {
			<-release
			return struct{}{}, nil
		}); err != nil {
			return err
		}
		r.Release(ctx)
		return r.Release(ctx)
	})
	<-acquired
	if r.TryAcquire(bg) {
		t.Fatal("goroutine's TryAcquire of a greenlet-held lock = true")
	}
	close(release)
	if err := r.Acquire(bg); err != nil {
		t.Fatal(err)
	}
	if err := g.Join(bg); err != nil || g.Err() != nil {
		t.Fatalf("greenlet: %v, %v", err, g.Err())
	}
	if err := r.Release(bg); err != nil {
		t.Fatal(err)
	}
	h.Stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}
