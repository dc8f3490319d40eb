package event_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
)

// gevent's test__greenlet.py (test_multiple_listeners_error_unlink_*): a
// callback that unlinks a later one during the notification keeps it from
// running, for Event and AsyncResult as for a greenlet's rawlink.
func TestOnReadyUnlinkDuringNotification(t *testing.T) {
	check := func(t *testing.T, onReady func(func()) func() bool, set func()) {
		t.Helper()
		var calls []string
		var remove1, remove2 func() bool
		removed := false
		remove1 = onReady(func() { removed = remove2(); calls = append(calls, "1") })
		remove2 = onReady(func() { remove1(); calls = append(calls, "2") })
		set()
		if want := []string{"1"}; !slices.Equal(calls, want) {
			t.Fatalf("callbacks = %v, want %v", calls, want)
		}
		if !removed {
			t.Fatal("remove() = false for a callback that had not run yet")
		}
	}
	t.Run("Event", func(t *testing.T) {
		var ev event.Event
		check(t, ev.OnReady, ev.Set)
	})
	t.Run("AsyncResult", func(t *testing.T) {
		var r event.AsyncResult[int]
		check(t, r.OnReady, func() { r.Set(6) })
	})
}

// gevent's notifier reports an exception of a rawlink callback and goes on
// with the others (test__greenlet.py test_multiple_listeners_error): here a
// panicking OnReady callback reaches Set's caller, but only after the
// callbacks registered behind it have run, so that no waiter of gevent.Wait
// misses the wake-up.
func TestOnReadyPanicRunsTheRest(t *testing.T) {
	check := func(t *testing.T, onReady func(func()) func() bool, set func()) {
		t.Helper()
		var calls []string
		onReady(func() { calls = append(calls, "1"); panic("boom") })
		onReady(func() { calls = append(calls, "2") })
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("Set panicked with %v, want the callback's panic", r)
				}
			}()
			set()
		}()
		if want := []string{"1", "2"}; !slices.Equal(calls, want) {
			t.Fatalf("callbacks = %v, want %v", calls, want)
		}
	}
	t.Run("Event", func(t *testing.T) {
		var ev event.Event
		check(t, ev.OnReady, ev.Set)
	})
	t.Run("AsyncResult", func(t *testing.T) {
		var r event.AsyncResult[int]
		check(t, r.OnReady, func() { r.Set(6) })
	})
}

// remove and a concurrent notification agree: a callback either runs (and
// its remove reports false) or is removed before its turn (remove reports
// true, and it never runs), whichever goroutine gets there first.
func TestOnReadyRemoveRacesNotification(t *testing.T) {
	const rounds, n = 200, 8
	for range rounds {
		var ev event.Event
		var ran [n]atomic.Bool
		removes := make([]func() bool, n)
		for i := range n {
			removes[i] = ev.OnReady(func() { ran[i].Store(true) })
		}
		var removed [n]bool
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); ev.Set() }()
		go func() {
			defer wg.Done()
			for i := n - 1; i >= 0; i-- {
				removed[i] = removes[i]()
			}
		}()
		wg.Wait()
		for i := range n {
			if removed[i] == ran[i].Load() {
				t.Fatalf("callback %d: removed %v, ran %v: want exactly one", i, removed[i], ran[i].Load())
			}
		}
	}
}

// gevent's AsyncResult.get returns a stored value before it looks at a
// stored exception, and set_exception leaves the value in place: once a
// value is set, a later set_exception does not change what get returns
// (gevent 22.10 and master; a later set does replace an exception).
func TestAsyncResultValueWinsOverLaterError(t *testing.T) {
	errE := errors.New("e")
	var r event.AsyncResult[int]
	r.Set(1)
	r.SetError(errE)
	if v, err := r.Get(context.Background()); v != 1 || err != nil {
		t.Fatalf("Set(1), SetError: Get = %v, %v; want 1, nil", v, err)
	}
	if !r.Successful() || r.Err() != nil || r.Value() != 1 {
		t.Fatalf("Set(1), SetError: Successful %v, Err %v, Value %v; want true, nil, 1", r.Successful(), r.Err(), r.Value())
	}
	var r2 event.AsyncResult[int]
	r2.SetError(errE)
	r2.Set(2)
	if v, err := r2.Get(context.Background()); v != 2 || err != nil {
		t.Fatalf("SetError, Set(2): Get = %v, %v; want 2, nil", v, err)
	}
	// A waiter woken by Set(1) that resumes after a SetError gets 1, as
	// gevent's does (its get reads the value first).
	geventtest.Run(t, func(ctx context.Context) error {
		var r3 event.AsyncResult[int]
		g := gevent.Spawn(ctx, r3.Get)
		if err := gevent.Yield(ctx); err != nil {
			return err
		}
		r3.Set(1)
		r3.SetError(errE)
		if v, err := g.Get(ctx); v != 1 || err != nil {
			return fmt.Errorf("waiter woken by Set(1) then SetError: got %v, %v; want 1, nil", v, err)
		}
		return nil
	})
}
