package lock_test

import (
	"slices"
	"testing"

	"github.com/gevent-go/gevent/lock"
)

// gevent's test__greenlet.py (test_multiple_listeners_error_unlink_*): a
// rawlink callback that unlinks a later one during the notification keeps it
// from running; gevent's Semaphore shares that notifier.
func TestOnReadyUnlinkDuringNotification(t *testing.T) {
	s := lock.NewSemaphore(0)
	var calls []string
	var remove1, remove2 func() bool
	removed := false
	remove1 = s.OnReady(func() { removed = remove2(); calls = append(calls, "1") })
	remove2 = s.OnReady(func() { remove1(); calls = append(calls, "2") })
	s.Release()
	if want := []string{"1"}; !slices.Equal(calls, want) {
		t.Fatalf("callbacks = %v, want %v", calls, want)
	}
	if !removed {
		t.Fatal("remove() = false for a callback that had not run yet")
	}
}

// A panicking OnReady callback reaches Release's caller only after the
// callbacks registered behind it have run (gevent reports it and goes on).
func TestOnReadyPanicRunsTheRest(t *testing.T) {
	s := lock.NewSemaphore(0)
	var calls []string
	s.OnReady(func() { calls = append(calls, "1"); panic("boom") })
	s.OnReady(func() { calls = append(calls, "2") })
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("Release panicked with %v, want the callback's panic", r)
			}
		}()
		s.Release()
	}()
	if want := []string{"1", "2"}; !slices.Equal(calls, want) {
		t.Fatalf("callbacks = %v, want %v", calls, want)
	}
}
