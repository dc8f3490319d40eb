package core

import (
	"runtime"
	"sync"
	"sync/atomic"
	"weak"
)

// The registry of hubs, for ErrLoopExit detection across hubs. A hub inside
// Serve may wake the greenlets of any other, so while one serves, no other
// declares ErrLoopExit. A hub that was given greenlets but is not served
// (yet) is listed weakly: it is garbage once unreferenced, and it counts only
// while someone waits on one of its greenlets (a Join from another hub, which
// presumes it will be served); an abandoned hub with greenlets nobody waits
// for does not stop other hubs from declaring ErrLoopExit.

// serving is the list of hubs inside Serve, copied on write (servingMu) and
// read lock-free.
var (
	servingMu sync.Mutex
	serving   atomic.Pointer[[]*Hub]
)

func registerServing(h *Hub) {
	servingMu.Lock()
	defer servingMu.Unlock()
	var hs []*Hub
	if p := serving.Load(); p != nil {
		hs = append(hs, *p...)
	}
	hs = append(hs, h)
	serving.Store(&hs)
}

func unregisterServing(h *Hub) {
	servingMu.Lock()
	defer servingMu.Unlock()
	p := serving.Load()
	if p == nil {
		return
	}
	hs := make([]*Hub, 0, len(*p))
	for _, o := range *p {
		if o != h {
			hs = append(hs, o)
		}
	}
	serving.Store(&hs)
}

// pending holds weak pointers to hubs given greenlets before Serve.
var pending sync.Map // weak.Pointer[Hub] → struct{}

// notePendingLocked lists h, not served yet, as pending. h.mu is held.
func (h *Hub) notePendingLocked() {
	if h.phase == phaseIdle && !h.pendingReg {
		h.pendingReg = true
		pending.Store(weak.Make(h), struct{}{})
	}
}

// otherHubBusy reports whether another hub may still wake this hub's
// greenlets: one is serving (except an idle hub of self's group, see
// idleSibling), or one not served yet has greenlets somebody waits on. It
// runs under self's lock, and takes no other lock but a sibling's (tried,
// never waited for).
//
// The pending hubs are read before the serving list: Serve lists a hub as
// serving before it unlists it from the pending hubs, so a hub that moves
// between the two reads is seen in the second (read in the other order, a
// hub could leave pending after the serving list was read and be missed by
// both: a false ErrLoopExit).
func otherHubBusy(self *Hub) bool {
	busy := false
	pending.Range(func(k, _ any) bool {
		o := k.(weak.Pointer[Hub]).Value()
		if o == nil {
			pending.Delete(k) // collected
			return true
		}
		if o != self && o.waitedOn.Load() > 0 {
			busy = true
			return false
		}
		return true
	})
	if busy {
		return true
	}
	if p := serving.Load(); p != nil {
		for _, o := range *p {
			if o != self && !idleSibling(self, o) {
				return true
			}
		}
	}
	return false
}

// unlistPending removes h from the pending hubs (it is serving now).
func unlistPending(h *Hub) { pending.Delete(weak.Make(h)) }

// onLoopMisuse describes the call when the calling goroutine is a serving hub's own,
// inside one of its callbacks: a plain-goroutine wait there (a blocking call
// whose ctx carries no greenlet, from a RawLink callback, an OnReady
// callback, the error handler) would block the hub for ever. It runs only
// before a plain goroutine blocks, and reads its goroutine's id (about 2 µs)
// only while some hub runs a callback.
func onLoopMisuse() string {
	p := serving.Load()
	if p == nil {
		return ""
	}
	var id uint64
	for _, h := range *p {
		if !h.cbActive.Load() {
			continue
		}
		if id == 0 {
			id = goid()
		}
		if id == h.loopGoid {
			return "gevent: blocking call inside a hub callback (RawLink, OnReady, the error handler, " +
				"a function posted or timed on the hub) with a context that carries no greenlet: " +
				"it would block the hub; spawn a greenlet for work that must wait"
		}
	}
	return ""
}

// goid returns the calling goroutine's id, parsed from its stack header
// ("goroutine 123 [running]:"). Slow: used only on misuse-detection paths.
func goid() uint64 {
	var buf [32]byte
	n := runtime.Stack(buf[:], false)
	var id uint64
	for _, c := range buf[len("goroutine "):n] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
