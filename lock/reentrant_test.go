package lock_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/lock"
)

func TestBoundedSemaphore(t *testing.T) {
	b := lock.NewBoundedSemaphore(2)
	wantPanic(t, "gevent/lock: semaphore released too many times", b.Release)
	if b.Value() != 2 {
		t.Fatalf("Value() = %d after a refused Release, want 2", b.Value())
	}
	//lint:ignore SA4000 each TryAcquire takes a unit: the repeated calls are the test
	if !b.TryAcquire() || !b.TryAcquire() || b.TryAcquire() {
		t.Fatal("TryAcquire did not take exactly two units")
	}
	b.Release()
	b.Release()
	wantPanic(t, "gevent/lock: semaphore released too many times", b.Release)
	// Waiters are served as by Semaphore.
	geventtest.Run(t, func(ctx context.Context) error {
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
	wantPanic(t, "gevent/lock: OnReady: nil f", func() { d.OnReady(nil) })
}

func TestReentrant(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
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
			if msg := releasePanic(ctx, &r); msg != notOwner {
				return fmt.Errorf("non-owner's Release panicked with %q, want %q", msg, notOwner)
			}
			if err := r.Acquire(ctx); err != nil {
				return err
			}
			order = append(order, "other acquired")
			r.Release(ctx)
			return nil
		})
		for i := range 4 {
			gevent.Yield(ctx)
			if !r.Locked() || len(order) != 0 {
				return fmt.Errorf("after %d releases: Locked %v, order %v", i, r.Locked(), order)
			}
			r.Release(ctx)
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
		if msg := releasePanic(ctx, &r); msg != notOwner {
			return fmt.Errorf("Release of a free lock panicked with %q, want %q", msg, notOwner)
		}
		return nil
	})
}

func TestReentrantAcquireTimeout(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
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
		if msg := releasePanic(ctx, &r); msg != notOwner {
			return fmt.Errorf("Release by a non-owner panicked with %q, want %q", msg, notOwner)
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
	geventtest.Run(t, func(ctx context.Context) error {
		if msg := releasePanic(ctx, &r); msg != notOwner {
			return fmt.Errorf("greenlet's Release of a goroutine-held lock panicked with %q, want %q", msg, notOwner)
		}
		return nil
	})
	done := make(chan string)
	go func() { done <- releasePanic(bg, &r) }()
	if msg := <-done; msg != "" {
		t.Fatalf("another goroutine's Release panicked: %s", msg)
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
		r.Release(ctx)
		return nil
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
	r.Release(bg)
	h.Stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

// notOwner is the panic of a Release by a caller that does not hold the
// Reentrant: a caller's bug, like BoundedSemaphore's over-release.
const notOwner = "gevent/lock: Reentrant released by a caller that does not hold it"

// releasePanic calls r.Release and returns what it panicked with ("" if it
// did not), for greenlets, where t.Fatal may not be called.
func releasePanic(ctx context.Context, r *lock.Reentrant) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg = fmt.Sprint(p)
		}
	}()
	r.Release(ctx)
	return ""
}
