package pool

import (
	"strconv"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// The kinds of wait this package parks greenlets in. The object of each is
// the Group (a Pool's is its Group), described with its members and, for a
// pool, its size and free slots.
var (
	waitPoolSlot       = core.RegisterWaitKind("pool.slot", describeGroup)
	waitPoolAvailable  = core.RegisterWaitKind("pool.available", describeGroup)
	waitPoolMap        = core.RegisterWaitKind("pool.map", describeGroup)
	waitPoolIMap       = core.RegisterWaitKind("pool.imap", describeGroup)
	waitPoolIMapCredit = core.RegisterWaitKind("pool.imap.credit", describeGroup)
	waitGroupJoin      = core.RegisterWaitKind("group.join", describeGroupJoin)
)

// describeGroupJoin is describeGroup with the members as the wakers: only
// their ends empty the group (or a Discard, which, with every greenlet
// parked, nobody is left to make).
func describeGroupJoin(obj unsafe.Pointer) core.WaitDetail {
	d := describeGroup(obj)
	g := (*Group)(obj)
	g.mu.Lock()
	for m := g.head; m != nil; m = m.next {
		if c := core.TaskG(m.t); c != nil {
			d.Wakers = append(d.Wakers, c)
		}
	}
	g.mu.Unlock()
	return d
}

// describeGroup reports "pool.Group(3 members)" or
// "pool.Pool(size 4, 0 free, 4 members, 2 waiting)".
func describeGroup(obj unsafe.Pointer) core.WaitDetail {
	g := (*Group)(obj)
	g.mu.Lock()
	n, l := g.n, &g.lim
	bounded, size, free, waiting := l.bounded, l.size, l.freeLocked(), l.slotWaiters.Len()+l.availWaiters.Len()
	g.mu.Unlock()
	if !bounded {
		return core.WaitDetail{Object: "pool.Group(" + strconv.Itoa(n) + " members)"}
	}
	return core.WaitDetail{Object: "pool.Pool(size " + strconv.Itoa(size) + ", " + strconv.Itoa(free) + " free, " +
		strconv.Itoa(n) + " members, " + strconv.Itoa(waiting) + " waiting)"}
}
