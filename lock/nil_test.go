package lock_test

import (
	"context"
	"testing"

	"github.com/gevent-go/gevent/internal/testutil"

	"github.com/gevent-go/gevent/lock"
)

// issue 10 item 9: a nil ctx (or function) panics at the call with
// "gevent/lock: <method>: nil <argument>", even when the call would not
// have waited (a free semaphore used to ignore its ctx).
func TestNilArgumentsPanicAtTheCall(t *testing.T) {
	var nilCtx context.Context
	s := lock.NewSemaphore(1)
	b := lock.NewBoundedSemaphore(1)
	var r lock.Reentrant
	var d lock.Dummy
	for _, c := range []struct {
		want string
		f    func()
	}{
		{"gevent/lock: Acquire: nil ctx", func() { s.Acquire(nilCtx) }},
		{"gevent/lock: Wait: nil ctx", func() { s.Wait(nilCtx) }},
		{"gevent/lock: Acquire: nil ctx", func() { b.Acquire(nilCtx) }},
		{"gevent/lock: Wait: nil ctx", func() { b.Wait(nilCtx) }},
		{"gevent/lock: Acquire: nil ctx", func() { r.Acquire(nilCtx) }},
		{"gevent/lock: TryAcquire: nil ctx", func() { r.TryAcquire(nilCtx) }},
		{"gevent/lock: Release: nil ctx", func() { r.Release(nilCtx) }},
		{"gevent/lock: OnReady: nil f", func() { s.OnReady(nil) }},
		{"gevent/lock: OnReady: nil f", func() { d.OnReady(nil) }},
	} {
		if got := testutil.PanicMessage(c.f); got != c.want {
			t.Errorf("panic = %q, want %q", got, c.want)
		}
	}
	if s.Value() != 1 || b.Value() != 1 {
		t.Errorf("Value() = %d, %d after the panics, want 1, 1", s.Value(), b.Value())
	}
}
