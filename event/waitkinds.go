package event

import (
	"strconv"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// The kinds of wait this package's objects park greenlets in, with the
// describers a dump calls (on the hub goroutine, only while it dumps). The
// object of both is the notifier, which is the first field of Event and of
// AsyncResult: for an Event it is the Event itself.
var (
	waitEvent       = core.RegisterWaitKind("event", describeEvent)
	waitAsyncResult = core.RegisterWaitKind("asyncresult", describeAsyncResult)
)

// describeEvent reports an Event's flag and its waiters:
// "event.Event(clear, 3 waiting)".
func describeEvent(obj unsafe.Pointer) core.WaitDetail {
	e := (*Event)(obj)
	e.n.mu.Lock()
	n := e.n.waiters.Len() + e.n.late.Len()
	e.n.mu.Unlock()
	state := "clear"
	if e.set.Load() {
		state = "set"
	}
	return core.WaitDetail{Object: "event.Event(" + state + ", " + strconv.Itoa(n) + " waiting)"}
}

// describeAsyncResult reports an AsyncResult's waiters (its result type is
// not known here: the object is its notifier).
func describeAsyncResult(obj unsafe.Pointer) core.WaitDetail {
	n := (*notifier)(obj)
	n.mu.Lock()
	k := n.waiters.Len() + n.late.Len()
	n.mu.Unlock()
	return core.WaitDetail{Object: "event.AsyncResult(" + strconv.Itoa(k) + " waiting)"}
}
