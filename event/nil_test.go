package event_test

import (
	"context"
	"testing"

	"github.com/gevent-go/gevent/internal/testutil"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
)

// issue 10 item 9: a nil ctx (or function) panics at the call with
// "gevent/event: <method>: nil <argument>", even when the call would not
// have waited (a set Event used to ignore its ctx).
func TestNilArgumentsPanicAtTheCall(t *testing.T) {
	var nilCtx context.Context
	var ev event.Event
	ev.Set()
	var r event.AsyncResult[int]
	r.Set(1)
	var g *gevent.Greenlet[int]
	for _, c := range []struct {
		want string
		f    func()
	}{
		{"gevent/event: Wait: nil ctx", func() { ev.Wait(nilCtx) }},
		{"gevent/event: Get: nil ctx", func() { r.Get(nilCtx) }},
		{"gevent/event: Wait: nil ctx", func() { r.Wait(nilCtx) }},
		{"gevent/event: OnReady: nil f", func() { ev.OnReady(nil) }},
		{"gevent/event: OnReady: nil f", func() { r.OnReady(nil) }},
		{"gevent/event: SetError: nil err", func() { r.SetError(nil) }},
		{"gevent/event: SetFrom: nil g", func() { r.SetFrom(g) }},
	} {
		if got := testutil.PanicMessage(c.f); got != c.want {
			t.Errorf("panic = %q, want %q", got, c.want)
		}
	}
}
