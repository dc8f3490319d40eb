package core

// Timeout scopes: a timeout reaches every wait of the greenlet that entered
// it, not only the waits made with the context it derived (design §4). gevent
// users write `with Timeout(5): sock.recv(n)`, and a net.Conn's Read takes no
// context, so a greenlet keeps a list of the timeouts it started (Timeout.Start,
// WithTimeout, WithTimeoutFunc) and every park of that greenlet also listens
// to them.
//
// A scope's state lives in its TimerCtx as scope = gen<<1 | active:
//
//	inactive ──enter (owner: Start)──▶ active(gen) ──leave (any goroutine: Stop, cancel)──▶ inactive
//	                                       └──delivered (owner: a wait ended by its expiry)──▶ inactive
//
// The list itself is the greenlet's (it lives in the waitBlock) and only the
// greenlet touches it; leaving a scope from another goroutine only flips the
// state, and the owner drops the entry when it next walks the list. An entry
// counts only while its TimerCtx's scope still equals the entry's
// gen<<1 | 1, so a TimerCtx restarted elsewhere never revives an old entry.
//
// Delivery is once, as gevent's Timeout raises once: the first wait of the
// greenlet that the expiry ends (through the scope) makes the scope inert for
// the greenlet's other waits, so cleanup after a caught timeout can still do
// I/O. Waits made with the scope's own context stay level-triggered, as every
// context is.

// scopeRef is one entry of a greenlet's scope list.
type scopeRef struct {
	tc  *TimerCtx
	gen uint64
}

func (r scopeRef) active() bool { return r.tc.scope.Load() == r.gen<<1|1 }

// scopeSet is a greenlet's scope list, allocated with its first scope (most
// greenlets never enter one) with room for two entries inline.
type scopeSet struct {
	refs   []scopeRef
	inline [2]scopeRef
}

// scopeRefs returns the scope list of the greenlet owning wb. Owner only.
func (wb *waitBlock) scopeRefs() []scopeRef {
	if wb.scopes == nil {
		return nil
	}
	return wb.scopes.refs
}

// hasScopes reports whether the greenlet owning wb has entries in its
// scope list (active or not yet pruned).
func (wb *waitBlock) hasScopes() bool { return wb.scopes != nil && len(wb.scopes.refs) > 0 }

// reset empties the list for the block's next greenlet.
func (s *scopeSet) reset() {
	clear(s.refs)
	s.refs = s.refs[:0]
}

// enterScope makes tc a scope of g, which must be the running greenlet.
func (g *G) enterScope(tc *TimerCtx) {
	gen := tc.scope.Load()>>1 + 1
	tc.scope.Store(gen<<1 | 1)
	wb := g.waits()
	if wb.scopes == nil {
		wb.scopes = new(scopeSet)
		wb.scopes.refs = wb.scopes.inline[:0]
	}
	ss := wb.scopes
	if n := len(ss.refs); n > 0 && ss.refs[n-1].tc == tc {
		ss.refs[n-1].gen = gen // a Timeout started again (the common reuse)
		return
	}
	wb.pruneScopes()
	ss.refs = append(ss.refs, scopeRef{tc, gen})
}

// leaveScope ends tc's scope, if it has one. Any goroutine.
func (tc *TimerCtx) leaveScope() {
	if s := tc.scope.Load(); s&1 != 0 {
		tc.scope.CompareAndSwap(s, s&^1) // lost only to a delivery, which also left
	}
}

// pruneScopes drops the entries that are no longer active. Owner only.
func (wb *waitBlock) pruneScopes() {
	ss := wb.scopes
	if ss == nil {
		return
	}
	n := 0
	for _, r := range ss.refs {
		if r.active() {
			ss.refs[n] = r
			n++
		}
	}
	clear(ss.refs[n:])
	ss.refs = ss.refs[:n]
}

// registerScopes makes w, a wait of the greenlet owning wb, listen to every
// active scope. A scope that has already expired ends the wait at once (and
// is delivered).
func (w *Waiter) registerScopes(wb *waitBlock) {
	wb.pruneScopes()
	for _, r := range wb.scopeRefs() {
		if r.tc.cancelled.Load() {
			// Expired: deliver now. Cancelled through its parent: the
			// greenlet's own cancellation reaches the wait anyway.
			if cause := r.tc.causeOf(); cause == r.tc.self {
				w.scoped = true
				w.Cancel(cause)
				return
			}
			continue
		}
		w.scoped = true
		r.tc.canceler.add(w.listener())
	}
}

// scopeDelivered marks inactive the scopes whose expiry ended a wait with
// cause. Owner only.
func (wb *waitBlock) scopeDelivered(cause error) {
	for _, r := range wb.scopeRefs() {
		if r.active() && r.tc.self == cause && r.tc.cancelled.Load() {
			r.tc.scope.CompareAndSwap(r.gen<<1|1, r.gen<<1)
		}
	}
}
