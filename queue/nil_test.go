package queue_test

import (
	"context"
	"testing"

	"github.com/gevent-go/gevent/internal/testutil"

	"github.com/gevent-go/gevent/queue"
)

// issue 10 item 9: a nil ctx panics at the call with
// "gevent/queue: <method>: nil ctx", even when the call would not have
// waited (a Put with room, a Get with an item).
func TestNilContextPanicsAtTheCall(t *testing.T) {
	var nilCtx context.Context
	var q queue.Queue[int]
	q.TryPut(1)
	var lq queue.LifoQueue[int]
	pq := queue.NewOrdered[int](0)
	var ch queue.Channel[int]
	for _, c := range []struct {
		want string
		f    func()
	}{
		{"gevent/queue: Put: nil ctx", func() { q.Put(nilCtx, 2) }},
		{"gevent/queue: Get: nil ctx", func() { q.Get(nilCtx) }},
		{"gevent/queue: Peek: nil ctx", func() { q.Peek(nilCtx) }},
		{"gevent/queue: Join: nil ctx", func() { q.Join(nilCtx) }},
		{"gevent/queue: All: nil ctx", func() { q.All(nilCtx) }},
		{"gevent/queue: Put: nil ctx", func() { lq.Put(nilCtx, 1) }},
		{"gevent/queue: Get: nil ctx", func() { pq.Get(nilCtx) }},
		{"gevent/queue: Put: nil ctx", func() { ch.Put(nilCtx, 1) }},
		{"gevent/queue: Get: nil ctx", func() { ch.Get(nilCtx) }},
		{"gevent/queue: Peek: nil ctx", func() { ch.Peek(nilCtx) }},
		{"gevent/queue: All: nil ctx", func() { ch.All(nilCtx) }},
	} {
		if got := testutil.PanicMessage(c.f); got != c.want {
			t.Errorf("panic = %q, want %q", got, c.want)
		}
	}
	if q.Len() != 1 {
		t.Errorf("Len() = %d after the panics, want 1", q.Len())
	}
}
