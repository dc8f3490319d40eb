package server

import (
	"context"

	"github.com/gevent-go/gevent/internal/core"
)

// serverKey is the context key under which a server's handlers find it: the
// accept (or read) loop greenlet is spawned with it, and handler greenlets,
// spawned from the loop, inherit it down the spawn tree.
type serverKey struct{}

// serverOf returns the server whose handler ctx belongs to, or nil.
func serverOf(ctx context.Context) *base {
	b, _ := ctx.Value(serverKey{}).(*base)
	return b
}

// ShuttingDown reports whether the server running the handler whose context
// ctx is (or derives from) has begun to stop: Shutdown or Close was called.
// A handler that serves several requests on one connection checks it
// between two requests, to finish the current reply (marking it as the last
// one if its protocol can say so) and return instead of reading another.
// It is false outside a server's handler. Any goroutine.
func ShuttingDown(ctx context.Context) bool {
	b := serverOf(ctx)
	return b != nil && b.closed()
}

// OnShutdown arranges for f to run when the server running the handler whose
// context ctx is (or derives from) begins to stop (Shutdown or Close), or at
// once if it has begun: the signal net/http gives its own connections
// (RegisterOnShutdown, the closing of idle keep-alive connections), for a
// handler that waits for its client's next request. The usual f wakes a
// handler parked between two requests, with the net.Conn idiom:
//
//	stop := server.OnShutdown(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
//	_, err := br.Peek(1) // the next request, or the wake-up
//	if !stop() { conn.SetReadDeadline(time.Time{}) } // f ran
//
// f runs on the handler's hub as a callback, like a RawLink callback: it
// runs between two switch points of the handler, so it may read and write
// the handler's variables without locks, and it must not block (to do work
// that waits, set an event.Event or spawn a greenlet). The returned stop
// keeps f from running if it has not run yet and reports whether it did so
// (as context.AfterFunc's stop); called on the hub (by the handler), once
// it returns false f has finished.
// Register and stop are cheap, so a handler may do both for every request;
// as with context.AfterFunc, a registration never stopped is kept until the
// server stops, so stop what is no longer needed.
//
// OnShutdown panics unless ctx belongs to a StreamServer or DatagramServer
// handler (or a greenlet spawned by one).
func OnShutdown(ctx context.Context, f func()) (stop func() bool) {
	b := serverOf(ctx)
	if b == nil {
		panic("gevent/server: OnShutdown needs a handler's context; this one belongs to no StreamServer or DatagramServer")
	}
	if f == nil {
		panic("gevent/server: OnShutdown with a nil function")
	}
	hk := &shutdownHook{b: b, hub: core.HubOf(ctx), f: f}
	b.mu.Lock()
	if b.state == stateOpen {
		if b.hooks == nil {
			b.hooks = make(map[*shutdownHook]struct{})
		}
		b.hooks[hk] = struct{}{}
		hk.state = hookRegistered
		b.mu.Unlock()
	} else {
		hk.state = hookPosted
		b.mu.Unlock()
		hk.hub.Post(hk.run)
	}
	return hk.stop
}

// shutdownHook is one OnShutdown registration.
type shutdownHook struct {
	b     *base
	hub   *core.Hub // where f runs
	f     func()
	state hookState // guarded by b.mu
}

// hookState is a shutdownHook's life cycle:
//
//	registered ──shutdown begins──▶ posted ──run──▶ ran (terminal)
//	     └──────────stop──────────────┴──stop──▶ stopped (terminal)
type hookState uint8

const (
	hookRegistered hookState = iota // waiting for the shutdown, in base.hooks
	hookPosted                      // queued on the hub to run
	hookRan                         // f was called
	hookStopped                     // stop won: f never runs
)

func (s hookState) String() string {
	switch s {
	case hookRegistered:
		return "registered"
	case hookPosted:
		return "posted"
	case hookRan:
		return "ran"
	case hookStopped:
		return "stopped"
	}
	return "invalid"
}

// run calls f on the hub unless stop came first.
func (hk *shutdownHook) run() {
	hk.b.mu.Lock()
	if hk.state != hookPosted {
		hk.b.mu.Unlock()
		return
	}
	hk.state = hookRan
	hk.b.mu.Unlock()
	hk.f()
}

func (hk *shutdownHook) stop() bool {
	hk.b.mu.Lock()
	defer hk.b.mu.Unlock()
	switch hk.state {
	case hookRegistered:
		delete(hk.b.hooks, hk)
	case hookPosted:
	default:
		return false
	}
	hk.state = hookStopped
	return true
}

// postHooksLocked moves every registered hook to posted and returns them,
// for the caller to post once it has released b.mu.
func (b *base) postHooksLocked() []*shutdownHook {
	hooks := make([]*shutdownHook, 0, len(b.hooks))
	for hk := range b.hooks {
		hk.state = hookPosted
		hooks = append(hooks, hk)
	}
	b.hooks = nil
	return hooks
}
