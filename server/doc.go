// Package server provides gevent's servers: StreamServer (TCP, optionally
// TLS) and DatagramServer (UDP), which run a handler per connection or per
// datagram in its own greenlet, with net/http.Server's life cycle; and an
// adapter, HTTPHandler, that runs the handlers of a standard net/http server
// as greenlets on a hub (gevent's WSGIServer role).
//
// # gevent names
//
//	gevent                                  Go
//	StreamServer(listener, handle)          StreamServer{Handler: h}; Serve(ctx, l) or ListenAndServe(ctx)
//	DatagramServer(listener, handle)        DatagramServer{Handler: h}
//	handle(socket, address)                 Handler(ctx, conn)  (conn.RemoteAddr() is the address)
//	handle(data, address) / sendto          Handler(ctx, data, addr) / WriteTo(ctx, b, addr)
//	serve_forever()                         Serve(ctx, l): parks the calling greenlet until the server stops
//	start()                                 gevent.Spawn a greenlet that calls Serve
//	close()                                 Close()
//	stop(timeout)                           Shutdown(ctx): the timeout is ctx's deadline
//	(none)                                  ShuttingDown(ctx), OnShutdown(ctx, f): a handler learns that a shutdown began
//	spawn=Pool / spawn=N                    the Pool field (a *pool.Pool) / the MaxHandlers field
//	spawn='default' / spawn_raw             Pool nil: a new greenlet per handler (gevent.Go)
//	min_delay, max_delay                    the accept back-off: 10ms doubling to 1s, reset on success
//	max_accept = 100                        the accept (read) loop yields after every 100 connections (datagrams)
//	a spawn that fails                      logged to ErrorLog, the connection closed, the same back-off
//	fatal_errors (EBADF, EINVAL, ENOTSOCK)  the same errnos and net.ErrClosed end Serve with the error
//	ssl_context=                            the TLSConfig field (crypto/tls)
//	loop.handle_error                       the hub's error handler (handler panics), ErrorLog (accept errors)
//	pywsgi.WSGIServer(app)                  HTTPHandler(ctx, h), ServeHTTP, ListenAndServeHTTP (net/http underneath)
//
// # Life cycle and who runs what
//
// A server is configured by its fields and started with Serve, which needs a
// context belonging to a hub: a greenlet's (the caller parks, as in
// gevent's serve_forever) or a Hub's Context (the calling goroutine
// blocks). Serve runs the accept loop in a greenlet of its own on that hub,
// and each accepted connection's Handler in a new greenlet there (through
// the Pool when one is set: while it is full the loop stops accepting and
// resumes when a handler ends). The connection is cooperative (a
// *socket.Conn): its Read and Write park the handler's greenlet and let the
// hub run the others. It is closed when the handler returns, or panics, or
// is killed before it ran.
//
// Close stops at once: listeners closed, every Serve returns
// ErrServerClosed, handlers killed without waiting. Shutdown is graceful:
// listeners closed, then it waits for the handlers while its ctx allows,
// then kills the rest (they see the kill at their next switch point, as
// gevent's stop(timeout)) and waits up to one second for them. Both may be
// called from any goroutine or greenlet. When the hub itself stops (the end
// of gevent.Run), the accept loops and handlers are killed with everything
// else and the listeners and connections are closed by their greenlets'
// deferred calls.
//
// # Every core
//
// Given a context that spreads over a group of hubs (gevent.HubGroup's
// Context, or gevent.Spread of a greenlet's context in a group), a server
// serves on every hub of the group. ListenAndServe opens one socket per hub
// on the same address with SO_REUSEPORT on Linux, each with its own accept
// (or read) loop on its hub, and the kernel spreads the connections (or
// datagrams) among them (an address already in use fails with EADDRINUSE,
// as with one hub, rather than being shared); a handler runs on the hub that accepted its
// connection. Serve with a listener the caller made, and ListenAndServe on
// other systems, run one loop on the context's own hub and hand each
// connection (datagram) off to the group's hubs in turn; a DatagramServer's
// handler then replies through a PacketConn of its own hub. HTTPHandler
// places each request's greenlet on the group's hubs in turn. Close,
// Shutdown, ShuttingDown and OnShutdown work across the hubs: Shutdown waits
// for the handlers of every hub. Handlers on different hubs run in
// parallel: state they share needs the library's primitives or locks. A
// MaxHandlers or Pool bound counts the handlers of every hub together.
//
// # Shutting down handlers of keep-alive connections
//
// A handler that serves many requests on one connection learns that a
// shutdown began, without being killed, from its ctx: ShuttingDown(ctx)
// tells it between two requests to finish the reply in hand and return,
// and OnShutdown(ctx, f) runs f on the hub when the shutdown begins, to
// wake it while it waits for the next request (net/http's Shutdown closes
// its idle keep-alive connections the same way). The pattern:
//
//	br := bufio.NewReader(conn)
//	for {
//		// Idle: wait for the next request unless the shutdown begins.
//		stop := server.OnShutdown(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
//		_, err := br.Peek(1)
//		if !stop() {
//			conn.SetReadDeadline(time.Time{}) // f ran
//		}
//		if err != nil {
//			return // the client left, or the shutdown began between requests
//		}
//		req := readRequest(br)
//		last := server.ShuttingDown(ctx)
//		writeReply(conn, req, last) // saying it is the last, if the protocol can
//		if last {
//			return
//		}
//	}
//
// Shutdown then returns as soon as the replies in progress are written,
// instead of killing every handler at its deadline and resetting the
// connections of clients that were mid-request. A client may send a
// request just as its idle connection is closed: to spare it a reset
// (closing with unread data sends RST), a handler that returns from an
// idle wait can first half-close the connection (CloseWrite) and read until
// the client closes too. Measured with 200 busy keep-alive clients and a
// 300ms grace period: handlers unaware of the shutdown ran to the deadline
// and were killed, resetting 109 connections; with the pattern above
// Shutdown returned in 11ms and reset none.
//
// With HTTPHandler, net/http keeps its own goroutines for accepting and for
// each connection; each request's handler runs as a greenlet on the hub,
// while the request's goroutine waits and performs the greenlet's reads of
// the request body and writes of the response on its behalf. Once the
// handler has returned, that goroutine is gone: the response and the body
// fail at once with errors wrapping net.ErrClosed. ServeHTTP gives its
// http.Server a 10-second ReadHeaderTimeout and a 2-minute IdleTimeout;
// its configure functions may set any field.
//
// # Memory model
//
// Accepting a connection synchronizes before its handler starts. A
// handler's return synchronizes before the return of a Shutdown that
// waited for it. In HTTPHandler, the request's arrival synchronizes before
// the handler's greenlet starts and the greenlet's end synchronizes before
// the net/http handler returns. Handlers of one hub never run at the same
// time: between two switch points a handler runs alone, so handlers may
// share state without locks.
//
// # Differences from gevent
//
//   - The life cycle is net/http's: Serve returns ErrServerClosed after
//     Close or Shutdown; a closed server cannot be restarted, and there is no
//     start_accepting/stop_accepting.
//   - Shutdown tracks the server's own handlers, with or without a pool
//     (gevent's stop waits only for a pool, and for all of its greenlets).
//   - spawn=None (handling in the hub) is not offered: a handler that may
//     not block is just a handler that does not block.
//   - A handler is not given a raw fd: it is given a net.Conn, with TLS
//     done by crypto/tls and the handshake completed before the handler runs.
//   - There is no WSGI: HTTP is served by net/http, and only the
//     application handlers run as greenlets.
package server
