package queue

import (
	"strconv"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// The kinds of wait this package parks greenlets in. The queues are
// generic, so a describer registered once cannot convert the object back to
// its type: the object of a wait is the address of the queue's desc field,
// a function bound to the queue (core.DescribeByFunc).
var (
	waitQueueGet   = core.RegisterWaitKind("queue.get", core.DescribeByFunc)
	waitQueuePut   = core.RegisterWaitKind("queue.put", core.DescribeByFunc)
	waitQueueJoin  = core.RegisterWaitKind("queue.join", core.DescribeByFunc)
	waitChannelGet = core.RegisterWaitKind("channel.get", core.DescribeByFunc)
	waitChannelPut = core.RegisterWaitKind("channel.put", core.DescribeByFunc)
)

// descPtr returns the object of a wait on q, binding q's describer on the
// first wait (a method value allocates, once). q.mu is held.
func (q *base[T, C, PC]) descPtr() unsafe.Pointer {
	if q.desc == nil {
		q.desc = q.describe
	}
	return unsafe.Pointer(&q.desc)
}

// describe reports "queue(len 0/2, 3 getters, 0 putters, 1 unfinished)"
// (maxsize 0: unbounded, shown as "inf").
func (q *base[T, C, PC]) describe() core.WaitDetail {
	q.mu.Lock()
	n, g, p, u := q.c().len(), q.getters.count(), q.putters.count(), q.unfinished
	q.mu.Unlock()
	size := "inf"
	if q.maxsize > 0 {
		size = strconv.Itoa(q.maxsize)
	}
	return core.WaitDetail{Object: "queue(len " + strconv.Itoa(n) + "/" + size + ", " +
		strconv.Itoa(g) + " getters, " + strconv.Itoa(p) + " putters, " + strconv.Itoa(u) + " unfinished)"}
}

// descPtr is base.descPtr for a Channel.
func (c *Channel[T]) descPtr() unsafe.Pointer {
	if c.ws.desc == nil {
		c.ws.desc = c.describe
	}
	return unsafe.Pointer(&c.ws.desc)
}

// describe reports "channel(3 getters, 0 putters)".
func (c *Channel[T]) describe() core.WaitDetail {
	c.mu.Lock()
	g, p := c.ws.getters.count(), c.ws.putters.count()
	c.mu.Unlock()
	return core.WaitDetail{Object: "channel(" + strconv.Itoa(g) + " getters, " + strconv.Itoa(p) + " putters)"}
}

// count walks the list (dumps only).
func (l *wlist[T]) count() int {
	n := 0
	for r := l.head; r != nil; r = r.next {
		n++
	}
	return n
}
