package server

import (
	"context"
	"crypto/tls"
	"log"
	"net"
	"time"

	"github.com/gevent-go/gevent/internal/core"
	"github.com/gevent-go/gevent/socket"
)

// StreamServer is a TCP (or any stream) server: gevent's StreamServer. It
// accepts connections and runs Handler for each one in its own greenlet on
// the hub of the context given to Serve. The zero value needs only a
// Handler; Addr is for ListenAndServe.
//
// Set the fields before the first Serve and do not change them afterwards.
// The methods are safe to call from any goroutine and any greenlet.
type StreamServer struct {
	// Addr is the TCP address ListenAndServe listens on ("host:port"; an
	// empty host means all interfaces, port 0 an ephemeral port).
	Addr string

	// Handler handles one connection. It runs in a new greenlet whose ctx
	// carries the values of Serve's ctx and is cancelled when the server
	// kills the handler (Close, or Shutdown after its deadline); given ctx,
	// ShuttingDown and OnShutdown tell it that a shutdown began. The
	// connection is cooperative: its Read and Write park the greenlet.
	// The server closes conn when Handler returns. A panic ends only this
	// handler: it is reported to the hub's error handler and conn is
	// closed.
	Handler func(ctx context.Context, conn net.Conn)

	// TLSConfig, when not nil, makes the server wrap each accepted
	// connection with tls.Server and complete the handshake (in the
	// handler's greenlet) before calling Handler. A failed handshake is
	// logged and the connection closed.
	TLSConfig *tls.Config

	// Pool, when not nil, runs the handlers (gevent's spawn=Pool): while it
	// is full the server stops accepting, and it resumes when a slot frees.
	// A *pool.Pool satisfies it.
	Pool Spawner

	// MaxHandlers, when Pool is nil and MaxHandlers > 0, bounds the number
	// of handlers running at once with a pool.Pool of that size, made on
	// first use (gevent's spawn=N). Zero means no bound.
	MaxHandlers int

	// ErrorLog receives accept errors, TLS handshake failures, handlers
	// that could not be started (a Pool's Spawn failed: the connection is
	// closed and the server backs off as after an accept error) and fatal
	// listener errors; nil means the log package's standard logger.
	// Handler failures go to the hub's error handler instead.
	ErrorLog *log.Logger

	base base
}

// ListenAndServe listens on s.Addr with socket.Listen and calls Serve.
//
// With a context that spreads over a group of hubs (gevent.HubGroup's
// Context, gevent.Spread), it serves on every hub of the group: on Linux it
// opens one listener per hub on the same address with SO_REUSEPORT, each
// with its own accept loop on its hub, and the kernel spreads the
// connections among them; elsewhere it hands connections off as Serve does.
// Close and Shutdown act on every hub.
func (s *StreamServer) ListenAndServe(ctx context.Context) error {
	addr, err := s.base.listenAddr(ctx, s.Addr)
	if err != nil {
		return err
	}
	if s.Handler == nil {
		panic("gevent/server: StreamServer.ListenAndServe with a nil Handler")
	}
	if g := perHub(ctx); g != nil {
		ls, err := listenStreamEach(ctx, g.Hubs(), addr)
		if err != nil {
			return err
		}
		return s.serveEach(ctx, g.Hubs(), ls)
	}
	l, err := socket.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, l)
}

// Serve accepts connections on l and runs Handler for each in a new
// greenlet, until Close or Shutdown (it then returns ErrServerClosed), a
// fatal listener error (returned), or the cancellation of ctx (it returns
// ctx's cause). l is closed when Serve returns. A listener that is not
// cooperative is wrapped with socket.WrapListener.
//
// ctx must belong to a hub: a greenlet's context (the caller parks until
// the server stops, as gevent's serve_forever) or a Hub's Context (the
// calling goroutine blocks). The accept loop runs in a greenlet of its own
// on that hub, named "server.accept". Serve may be called several times, with
// different listeners, concurrently.
//
// With a context that spreads over a group of hubs, the accept loop runs
// on ctx's own hub (hub 0 for HubGroup.Context) and hands each connection
// to the group's hubs in turn: its handler runs there.
//
// Accept errors other than fatal ones are logged and retried after a
// back-off that starts at 10ms and doubles up to 1s, reset by the next
// successful accept (gevent's min_delay and max_delay). After every 100
// connections the accept loop yields (gevent's max_accept), so that a
// backlog or a flood of connections does not keep their handlers from
// running.
func (s *StreamServer) Serve(ctx context.Context, l net.Listener) error {
	needHub(ctx, "Serve")
	if s.Handler == nil {
		panic("gevent/server: StreamServer.Serve with a nil Handler")
	}
	l = socket.WrapListener(ctx, l)
	g := spreadGroup(ctx)
	return s.base.serve(ctx, l, "server.accept", func(ctx context.Context, lp *loop) error {
		return s.acceptLoop(ctx, l, g)
	})
}

// acceptLoop is gevent's _do_read loop: wait for room in the pool, accept,
// hand the connection to a new handler greenlet (on a hub of g, in turn,
// when g is not nil).
func (s *StreamServer) acceptLoop(ctx context.Context, l net.Listener, g *core.Group) error {
	sp := s.base.resolveSpawner(s.Pool, s.MaxHandlers)
	var delay time.Duration
	var taken int // connections since the last yield (paced)
	for {
		if err := waitRoom(ctx, sp); err != nil {
			return err
		}
		conn, err := l.Accept()
		if err != nil {
			if s.base.closed() {
				return ErrServerClosed
			}
			if cerr := contextCause(ctx); cerr != nil {
				return cerr
			}
			if isFatal(err) {
				logf(s.ErrorLog, "gevent/server: accept on %v failed: %v; closing", l.Addr(), err)
				return err
			}
			delay = backoff(delay)
			logf(s.ErrorLog, "gevent/server: accept error: %v; retrying in %v", err, delay)
			if err := sleepBackoff(ctx, delay); err != nil {
				return err
			}
			continue
		}
		delay = 0
		hctx := ctx
		if g != nil {
			hctx, conn = handOff(ctx, g, conn)
		}
		if err := s.base.start(hctx, sp, conn, s.handle(conn)); err != nil {
			if err := s.base.startFailed(ctx, s.ErrorLog, err, &delay); err != nil {
				return err
			}
		}
		if err := paced(ctx, &taken); err != nil {
			return err
		}
	}
}

// handle returns the body of conn's handler greenlet.
func (s *StreamServer) handle(conn net.Conn) func(ctx context.Context) {
	return func(ctx context.Context) {
		if s.TLSConfig != nil {
			tc := tls.Server(conn, s.TLSConfig)
			if err := tc.HandshakeContext(ctx); err != nil {
				logf(s.ErrorLog, "gevent/server: TLS handshake error from %v: %v", conn.RemoteAddr(), err)
				return
			}
			conn = tc
			defer tc.Close() // sends close_notify; the raw conn is closed too
		}
		s.Handler(ctx, conn)
	}
}

// Close stops the server at once: it closes the listeners, so that every
// Serve returns ErrServerClosed, runs the handlers' OnShutdown functions,
// kills every handler greenlet without
// waiting (each sees the kill at its next switch point) and closes its
// connection. It returns the error of closing a listener, if any. Any
// goroutine or greenlet; it does not wait.
func (s *StreamServer) Close() error { return s.base.close() }

// Shutdown stops the server gracefully (gevent's stop(timeout)): it closes
// the listeners, so that no new connection is accepted and every Serve
// returns ErrServerClosed, runs the handlers' OnShutdown functions (from
// then on ShuttingDown reports true), then waits for the running handlers
// to return: a handler that serves many requests on one connection should
// finish the reply in hand and return (see the package doc).
// If ctx ends first, it kills the remaining handlers (each sees the kill at
// its next switch point), waits up to one second for them to end, and
// returns ctx's cause. From a greenlet the caller parks; from a plain
// goroutine it blocks.
func (s *StreamServer) Shutdown(ctx context.Context) error { return s.base.shutdown(ctx) }
