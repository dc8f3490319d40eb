package core

import (
	"reflect"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// Wait records: every parked greenlet says what it waits on (a kind, the
// object, since when), so that a dump can show it and the loop-exit report
// can build the wait graph. The record costs two plain stores on the park
// path (three with an object, and one more at its end), in words the wait
// block already had (its size, 160 bytes, is pinned by TestSizes):
//
//   - kind (1 byte) lives in the padding after Waiter.scoped;
//   - since (4 bytes) is the hub's cached loop clock (Hub.now, which the loop
//     refreshes anyway: no clock read per park) in units of 2^20 ns (about a
//     millisecond), wrapping after about 52 days; elapsed times are computed
//     modulo 2^32, so any wait shorter than that reads right. It takes the
//     space nregs gave up by shrinking to 16 bits;
//   - obj (a pointer) shares the word of Waiter.ch: only goroutine waiters
//     use that channel, only greenlet waiters record an object, and a
//     greenlet's Waiter never becomes a goroutine's (see objSlot).
//
// Records are written by the greenlet on its hub's goroutine and read by
// code the hub runs on that goroutine (a capture, the loop-exit report): no
// atomics. A record is valid while its waiter is waiting; obj is cleared when
// the wait ends, so that a record never keeps an object alive.

// WaitKind says what a parked greenlet waits for. The first few are the
// core's own; packages register theirs with RegisterWaitKind from a
// package-level variable's initialiser (no init function runs code).
type WaitKind uint8

// The core's wait kinds.
const (
	WaitUnknown  WaitKind = iota // a Prepare that did not say (a foreign primitive); no object
	WaitSleep                    // Sleep: no object; the deadline is the greenlet's own timer
	WaitIdle                     // Idle: no object
	WaitJoin                     // Join/Get of a greenlet: the object is the target *G (this kind and the later ones may have objects)
	WaitBlocking                 // an Offload (Blocking, the socket package's off-hub calls)
	numCoreKinds
)

// WaitDetail is what a describer reports about the object of a wait.
type WaitDetail struct {
	// Object describes the object and its state for people:
	// "event.Event(clear)", "queue.Queue(0/2, 3 getters)".
	Object string
	// Wakers are the greenlets that alone can end the wait, when that is
	// known (a join target, a lock's owner); nil when anyone may.
	Wakers []*G
}

// waitKindInfo is one registered kind.
type waitKindInfo struct {
	name     string
	describe func(obj unsafe.Pointer) WaitDetail
}

// waitKinds is the kind table; registration happens during package
// initialisation (one goroutine), reads later (after it), but a mutex keeps
// a late registration safe too.
var (
	waitKindsMu sync.Mutex
	waitKinds   = func() []waitKindInfo {
		k := make([]waitKindInfo, numCoreKinds, 32)
		k[WaitUnknown] = waitKindInfo{name: "wait"}
		k[WaitSleep] = waitKindInfo{name: "sleep"}
		k[WaitIdle] = waitKindInfo{name: "idle"}
		k[WaitJoin] = waitKindInfo{name: "join"} // described by the snapshot (the target's id)
		k[WaitBlocking] = waitKindInfo{name: "blocking", describe: describeOffload}
		return k
	}()
)

// RegisterWaitKind registers a kind of wait named name (kinds are listed in
// dumps by name, "queue.get"; names need not be unique but should be) and
// the describer a dump calls, on the hub goroutine and only while it dumps,
// for each object waited on with it. describe may be nil (the dump then
// shows the kind alone); it must not block, and takes the object's lock if
// the object may change on another goroutine.
func RegisterWaitKind(name string, describe func(obj unsafe.Pointer) WaitDetail) WaitKind {
	waitKindsMu.Lock()
	defer waitKindsMu.Unlock()
	if len(waitKinds) > 255 {
		panic("gevent: too many wait kinds")
	}
	waitKinds = append(waitKinds, waitKindInfo{name: name, describe: describe})
	return WaitKind(len(waitKinds) - 1)
}

// String returns the kind's registered name.
func (k WaitKind) String() string { return k.info().name }

func (k WaitKind) info() waitKindInfo {
	waitKindsMu.Lock()
	defer waitKindsMu.Unlock()
	if int(k) < len(waitKinds) {
		return waitKinds[k]
	}
	return waitKindInfo{name: "invalid"}
}

// Describe calls the kind's describer for obj (zero when it has none or obj
// is nil). Hub goroutine only.
func (k WaitKind) Describe(obj unsafe.Pointer) WaitDetail {
	if d := k.info().describe; d != nil && obj != nil {
		return d(obj)
	}
	return WaitDetail{}
}

// DescribeByFunc is a describer for objects that keep a describing function
// in a field of type func() WaitDetail and pass that field's address as the
// object of their waits: the way generic types (which a describer registered
// once cannot convert to) describe themselves.
func DescribeByFunc(obj unsafe.Pointer) WaitDetail {
	f := *(*func() WaitDetail)(obj)
	if f == nil {
		return WaitDetail{}
	}
	return f()
}

// record fills in the wait record of a greenlet waiter. Owner only.
//
// kind and since share the waiter's first cache line with its state, which
// the park writes anyway. The object's word lies in the second line, which
// a sleep never touches otherwise (a cold line for a greenlet that has not
// run for long): it is written only for an object, and cleared at the end
// only for the kinds that can have one, which keeps the word nil between
// waits. (The loop clock is an atomic only because goroutines arming
// timers read it; its load is a plain load on amd64.)
func (w *Waiter) record(kind WaitKind, obj unsafe.Pointer) {
	w.kind = kind
	w.since = uint32(w.g.hub.now.Load() >> sinceShift)
	if obj != nil {
		*w.objSlot() = obj
	}
}

// sinceShift converts the loop clock's nanoseconds into Waiter.since units.
const sinceShift = 20

// objSlot is the word that holds a greenlet waiter's object: Waiter.ch's,
// which only goroutine waiters use (the garbage collector sees a pointer in
// either case, which is all it needs to know).
func (w *Waiter) objSlot() *unsafe.Pointer { return (*unsafe.Pointer)(unsafe.Pointer(&w.ch)) }

// endRecord drops the object of a greenlet's finished wait (the kinds
// below WaitJoin never have one).
func (w *Waiter) endRecord() {
	if w.kind >= WaitJoin {
		*w.objSlot() = nil
	}
}

// Label is "name #id", how reports name a greenlet. Unlike Name it stores
// nothing (a dump must not change what it shows). It takes the hub's lock.
func (g *G) Label() string {
	h := g.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	id := itoa(int(h.idLocked(g)))
	if g.extra != nil && g.extra.name != "" {
		return g.extra.name + " #" + id
	}
	return "Greenlet-" + id + " #" + id
}

// OffloadInfo names the operation of an Offload for dumps.
type OffloadInfo struct {
	// What is the operation ("socket", "http round trip"); "" for a
	// Blocking call, which the wait's kind names.
	What string
	// Func is the function it runs, for Blocking (nil otherwise).
	Func any
}

// FuncName returns the name of function fn without its import path
// ("pkg.Func.func1"), or "" when fn is not a function.
func FuncName(fn any) string {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return ""
	}
	f := runtime.FuncForPC(v.Pointer())
	if f == nil {
		return ""
	}
	name := f.Name()
	return name[strings.LastIndex(name, "/")+1:]
}

// describeOffload describes an Offload by its OffloadInfo.
func describeOffload(obj unsafe.Pointer) WaitDetail {
	info := (*OffloadInfo)(obj)
	s := info.What
	if info.Func != nil {
		if name := FuncName(info.Func); name != "" && s != "" {
			s += " " + name
		} else if name != "" {
			s = name
		}
	}
	return WaitDetail{Object: s}
}
