package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/core"
	"github.com/gevent-go/gevent/socket"
)

// HTTPHandler returns an http.Handler that runs handler, for each request,
// in a new greenlet on ctx's hub (gevent's WSGIServer role, on top of
// net/http). Request handlers therefore run one at a time on that hub: they
// may use the library's blocking calls (Sleep, queues, events, cooperative
// sockets), which let other requests proceed, and they may share state with
// each other and with the hub's other greenlets without locks.
//
// ctx must belong to a hub (a greenlet's context, gevent.Run's, or a Hub's
// Context), and the hub must be running. The returned handler is called by
// net/http on its own goroutines; each call spawns the greenlet and blocks
// that goroutine until the greenlet has ended.
//
// In the greenlet, r.Context() is the greenlet's context: gevent.Current
// finds the greenlet, it carries the request's values, then ctx's, and it is
// cancelled (the greenlet is killed) when the request's context is, for
// example when the client goes away.
//
// The handler's reads of r.Body and its writes and flushes to w are
// performed by the waiting net/http goroutine while the calling greenlet
// parks, so a slow client never blocks the hub; such an operation, once
// started, completes even if the greenlet is killed (the kill is seen at the
// next switch point). The handler may hand w and r.Body to greenlets it
// spawns (one at a time, as net/http requires). Once the handler has
// returned, net/http's writer and body are finished: a later Write or Flush
// by such a greenlet returns at once an error wrapping net.ErrClosed, a
// later body Read one wrapping both http.ErrBodyReadAfterClose and
// net.ErrClosed, a later body Close returns nil, a later Header is a
// throwaway map and a later WriteHeader does nothing. A greenlet streaming a
// response should therefore be waited for by the handler, which then ends
// (and the streamer's next write fails) when the client goes away. w and
// r.Body must be used from greenlets of the hub only; from a hub callback
// (a RawLink or OnReady function) a call panics, since it would block the
// hub. w supports http.Flusher, http.Hijacker and, through
// http.NewResponseController, the underlying writer's other features (until
// the handler returns); a hijacked net.Conn is a plain blocking one (wrap
// it with socket.WrapConn).
//
// A handler that panics is reported to the hub's error handler and the
// request is aborted as net/http does for a panic (http.ErrAbortHandler). A
// handler that panics with http.ErrAbortHandler itself aborts the request
// quietly, as under net/http: no report, no stack. If the hub has stopped,
// requests get 503 Service Unavailable.
//
// With a context that spreads over a group of hubs (gevent.HubGroup's
// Context, gevent.Spread), the requests' greenlets are placed on the
// group's hubs in turn: net/http's goroutines already accept and read on
// every core, and the handlers run on every hub. Handlers of different
// requests may then run in parallel, so state they share needs the
// library's primitives or locks.
//
// Memory model: the net/http goroutine's writes before calling the
// returned handler (the request) synchronize before the greenlet starts,
// and the greenlet's end synchronizes before the return of ServeHTTP.
func HTTPHandler(ctx context.Context, handler http.Handler) http.Handler {
	needHub(ctx, "HTTPHandler")
	if handler == nil {
		panic("gevent/server: HTTPHandler with a nil handler")
	}
	h := core.HubOf(ctx)
	return &httpHandler{hub: h, group: spreadGroup(ctx), user: core.Detach(ctx), h: handler}
}

type httpHandler struct {
	hub   *core.Hub       // where the request greenlets run
	group *core.Group     // if not nil, they run on its hubs in turn instead
	user  context.Context // HTTPHandler's ctx without greenlet or hub, for values
	h     http.Handler
}

// spawnCtx is the context a request's greenlet is spawned with: values are
// looked up in the request's context, then in HTTPHandler's ctx (both with
// their greenlet and hub hidden), then in the hub's context, which also
// tells Spawn which hub to use. It is never cancelled (a greenlet does not
// inherit its spawner's cancellation); ServeHTTP kills the greenlet instead.
type spawnCtx struct {
	context.Context // hub context
	req, user       context.Context
}

func (c spawnCtx) Value(key any) any {
	if v := c.req.Value(key); v != nil {
		return v
	}
	if v := c.user.Value(key); v != nil {
		return v
	}
	return c.Context.Value(key)
}

// ServeHTTP runs the request's handler in a greenlet and performs its I/O
// calls until the greenlet has ended.
func (a *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rctx := r.Context()
	hub := a.hub
	if a.group != nil {
		hub = a.group.Pick()
	}
	ex := &exchange{hub: hub, kick: make(chan struct{}, 1)}
	gw := &responseWriter{w: w, ex: ex}
	ran := false // written by the greenlet; read once ex.close has run
	g := gevent.Go(spawnCtx{Context: hub.Context(), req: core.Detach(rctx), user: a.user},
		func(gctx context.Context) error {
			ran = true
			ex.waitCtx = context.WithoutCancel(gctx)
			r2 := r.WithContext(gctx)
			if r.Body != nil && r.Body != http.NoBody {
				r2.Body = &requestBody{b: r.Body, ex: ex}
			}
			defer func() {
				// net/http treats a panic with ErrAbortHandler as a quiet
				// abort: no report, no stack. So do we; any other panic
				// goes on to the hub, which reports it.
				if v := recover(); v != nil {
					if v != http.ErrAbortHandler { // the same test as net/http's
						panic(v)
					}
					ex.aborted = true
				}
			}()
			a.h.ServeHTTP(gw, r2)
			return nil
		}, gevent.WithName("server.http"))
	// Runs on the hub once the greenlet has ended (or was killed before it
	// ran): from then on every call fails at once.
	g.OnReady(ex.close)
	reqDone := rctx.Done()
	var calls []*ioCall // the calls taken and being run
	// Whatever happens below (a call that panics on this goroutine, say),
	// no greenlet may wait on an exchange nobody serves any more.
	defer func() { ex.abandon(g, calls) }()
	for open := true; open; {
		select {
		case <-ex.kick:
		case <-reqDone:
			gevent.Kill(rctx, g) // rctx carries no greenlet: no switch
			reqDone = nil
			continue
		}
		calls, open = ex.take(calls[:0])
		for _, c := range calls {
			c.run()
		}
		clear(calls)
	}
	// ex.close ran after the greenlet ended, and take synchronized with it:
	// ran, g's state and ex.aborted are final.
	if !ran {
		// The hub stopped (or was never served) before the greenlet ran.
		http.Error(w, "503 service unavailable", http.StatusServiceUnavailable)
		return
	}
	var pe *gevent.PanicError
	if ex.aborted || errors.As(g.Err(), &pe) {
		// Abort the response the way net/http does for a panicking
		// handler; a real panic was already reported by the hub, so it is
		// not logged twice.
		panic(http.ErrAbortHandler)
	}
}

// exchange is the meeting point of a request's greenlets (the handler and
// any greenlet it spawned), which run on the hub, and the net/http goroutine
// that serves the request: a greenlet posts an I/O call and parks, and the
// goroutine runs the call and wakes it. Posting never blocks the hub (a
// short critical section and a non-blocking send), so no misuse of w or the
// body by any greenlet can freeze the hub.
//
// The exchange is open while the handler's greenlet runs and closed
// (terminal) once it has ended: net/http's ResponseWriter and body are dead
// then, so a late call fails at once (errLateWrite, errLateRead) instead of
// waiting for a goroutine that has gone. The state changes on the hub
// (close, from the greenlet's OnReady) or, if the net/http goroutine
// leaves abnormally, in abandon.
//
//	open ──greenlet ended (close) or ServeHTTP left (abandon)──▶ closed
type exchange struct {
	hub *core.Hub
	// waitCtx is the handler greenlet's context without its cancellation:
	// a wait for a call ignores kills, because the call uses the caller's
	// buffer. Written by the greenlet when it starts, before any call.
	waitCtx context.Context
	// aborted is set by the greenlet when the handler panicked with
	// http.ErrAbortHandler; read by ServeHTTP after take saw the exchange
	// closed.
	aborted bool
	// kick (capacity 1) tells the net/http goroutine there is something
	// to do: a call was posted or the exchange closed. Sent without
	// blocking: one pending kick covers any number of posts.
	kick chan struct{}

	mu     sync.Mutex // guards the fields below
	closed bool       // see the state diagram above
	queue  []*ioCall  // posted calls the net/http goroutine has not taken
}

// ioCall is one operation done on the net/http goroutine for a greenlet.
type ioCall struct {
	fn func()
	w  *core.Waiter
	// ran reports whether fn ran; written before w is woken, read by the
	// woken caller.
	ran bool
	// woken is set when w has been woken; net/http goroutine only. A
	// second Wake could end a later wait of the same greenlet.
	woken bool
}

// run runs the call and wakes its greenlet, even if fn panics.
func (c *ioCall) run() {
	defer c.wake()
	c.fn()
	c.ran = true
}

// wake wakes the caller once.
func (c *ioCall) wake() {
	if !c.woken {
		c.woken = true
		c.w.Wake()
	}
}

// do runs fn on the net/http goroutine and parks the calling greenlet until
// it has finished; it reports false, without waiting, when the exchange is
// closed (the handler has returned) and fn was not run. The wait ignores
// kills: fn uses the caller's buffer, which must not be touched after do
// returns. The hub is held meanwhile, so that it does not mistake the wait
// for a deadlock.
func (ex *exchange) do(fn func()) bool {
	if ex.isClosed() {
		return false // fast path for late calls: no waiter, no wait
	}
	// A blocking call from a hub callback panics here (gevent:), before
	// anything is queued or held.
	core.CheckNotInCallback(ex.waitCtx)
	w, _ := core.PrepareOn(ex.waitCtx, waitHTTPExchange, nil) // never cancelled: never an error
	c := &ioCall{fn: fn, w: w}
	ex.mu.Lock()
	if ex.closed {
		// Only from a goroutine other than the hub's (misuse: the state
		// changes on the hub): end the wait just begun without a call.
		ex.mu.Unlock()
		w.Wake()
	} else {
		ex.queue = append(ex.queue, c)
		ex.mu.Unlock()
		select {
		case ex.kick <- struct{}{}:
		default: // a kick is already pending
		}
	}
	ex.hub.Hold()
	_ = w.Block(ex.waitCtx)
	ex.hub.Unhold()
	w.Release()
	return c.ran
}

func (ex *exchange) isClosed() bool {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.closed
}

// take moves the posted calls to buf and reports whether the exchange is
// still open. Once it reports false, no call will be posted any more.
func (ex *exchange) take(buf []*ioCall) ([]*ioCall, bool) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	buf = append(buf, ex.queue...)
	clear(ex.queue)
	ex.queue = ex.queue[:0]
	return buf, !ex.closed
}

// close closes the exchange and kicks the net/http goroutine, which runs
// what is still queued (posted while the handler ran) and returns.
func (ex *exchange) close() {
	ex.mu.Lock()
	ex.closed = true
	ex.mu.Unlock()
	select {
	case ex.kick <- struct{}{}:
	default:
	}
}

// abandon runs when ServeHTTP returns. Normally the exchange is closed and
// empty by then; if ServeHTTP is leaving abnormally (a call panicked on its
// goroutine), it closes the exchange, wakes the greenlets whose calls were
// taken but not run, or still queued (their calls fail as late ones), and
// kills the handler.
func (ex *exchange) abandon(g *gevent.Greenlet[struct{}], taken []*ioCall) {
	ex.mu.Lock()
	wasOpen := !ex.closed
	ex.closed = true
	rest := ex.queue
	ex.queue = nil
	ex.mu.Unlock()
	for _, c := range taken {
		if c != nil {
			c.wake()
		}
	}
	for _, c := range rest {
		c.wake()
	}
	if wasOpen {
		gevent.Kill(context.Background(), g)
	}
}

// Errors of calls made after the handler returned: net/http's writer and
// body are finished then, as a closed connection's are.
var (
	errLateWrite = fmt.Errorf("gevent/server: ResponseWriter used after the handler returned: %w", net.ErrClosed)
	errLateRead  = fmt.Errorf("gevent/server: request body read after the handler returned: %w: %w", http.ErrBodyReadAfterClose, net.ErrClosed)
)

// responseWriter is the http.ResponseWriter a request greenlet sees: calls
// that may touch the network go through the exchange; once the handler has
// returned, calls fail at once and never touch net/http's writer.
type responseWriter struct {
	w  http.ResponseWriter
	ex *exchange
}

// Header returns the response header; after the handler returned, a
// throwaway one (net/http's is being written by then).
func (rw *responseWriter) Header() http.Header {
	if rw.ex.isClosed() {
		return http.Header{}
	}
	return rw.w.Header()
}

func (rw *responseWriter) Write(p []byte) (n int, err error) {
	if !rw.ex.do(func() { n, err = rw.w.Write(p) }) {
		return 0, errLateWrite
	}
	return n, err
}

// WriteHeader records the status; after the handler returned it does
// nothing (it has no way to report the error).
func (rw *responseWriter) WriteHeader(code int) {
	if code >= 200 {
		if !rw.ex.isClosed() {
			rw.w.WriteHeader(code) // only records the status: no I/O
		}
		return
	}
	rw.ex.do(func() { rw.w.WriteHeader(code) }) // 1xx is written at once
}

// Flush implements http.Flusher.
func (rw *responseWriter) Flush() { _ = rw.FlushError() }

// FlushError is what http.ResponseController.Flush calls.
func (rw *responseWriter) FlushError() (err error) {
	if !rw.ex.do(func() { err = http.NewResponseController(rw.w).Flush() }) {
		return errLateWrite
	}
	return err
}

// Hijack is what http.ResponseController.Hijack (and an http.Hijacker
// type assertion) calls: net/http's Hijack flushes the response and waits
// for its background read to stop, so it runs on the net/http goroutine.
// It fails with http.ErrNotSupported when the underlying writer cannot
// hijack (HTTP/2).
func (rw *responseWriter) Hijack() (c net.Conn, brw *bufio.ReadWriter, err error) {
	if !rw.ex.do(func() { c, brw, err = http.NewResponseController(rw.w).Hijack() }) {
		return nil, nil, errLateWrite
	}
	return c, brw, err
}

// Unwrap lets http.ResponseController reach the underlying writer; after
// the handler returned it returns nil, so that the controller's calls fail
// with http.ErrNotSupported instead of touching a finished response.
func (rw *responseWriter) Unwrap() http.ResponseWriter {
	if rw.ex.isClosed() {
		return nil
	}
	return rw.w
}

// requestBody is the request body a greenlet sees: reads go through the
// exchange.
type requestBody struct {
	b  io.ReadCloser
	ex *exchange
}

func (b *requestBody) Read(p []byte) (n int, err error) {
	if !b.ex.do(func() { n, err = b.b.Read(p) }) {
		return 0, errLateRead
	}
	return n, err
}

// Close closes the body; after the handler returned it returns nil (net/http
// has closed it).
func (b *requestBody) Close() (err error) {
	b.ex.do(func() { err = b.b.Close() })
	return err
}

// Defaults ServeHTTP gives its http.Server, against clients that hold
// connections open for nothing: a zero http.Server waits for ever for a
// request's header and for the next request on a keep-alive connection, one
// goroutine each. Variables, not constants, so that tests can shorten them
// (export_test.go).
var (
	// defaultReadHeaderTimeout bounds the reading of a request's line and
	// header (slowloris); ample for any real client.
	defaultReadHeaderTimeout = 10 * time.Second
	// defaultIdleTimeout bounds the wait for the next request on a
	// keep-alive connection; longer than the 90s after which net/http's
	// client drops idle connections itself, so that a client is rarely
	// surprised by a close.
	defaultIdleTimeout = 2 * time.Minute
)

// ServeHTTP serves HTTP on l with net/http, running handler through
// HTTPHandler on ctx's hub, until ctx is cancelled (from a greenlet: until
// it is killed), then closes the http.Server (listener and connections) and
// returns ctx's cause. It returns earlier with net/http's error if Serve
// fails. net/http drives l from its own goroutines: a *socket.Listener
// (socket.Listen's) is served through the standard listener under it, whose
// Accept blocks a goroutine instead of parking the hub's running greenlet;
// other listeners must be plain ones (net.Listen). From a greenlet,
// net/http's accept loop runs on a gevent.Blocking worker while the
// greenlet parks.
//
// The http.Server has safe defaults: ReadHeaderTimeout 10s (a client must
// send a request's header within 10 seconds) and IdleTimeout 2m (a
// keep-alive connection is closed after two minutes without a request).
// ReadTimeout and WriteTimeout stay zero, since they would cut off large
// uploads and long streamed responses; set them when handlers do neither.
// Each configure function is then called, in order, with the *http.Server
// before it serves: it may set any field (timeouts, MaxHeaderBytes,
// ErrorLog, ConnState, TLSConfig, BaseContext...), wrap Handler (already
// HTTPHandler(ctx, handler)) with middleware that runs on net/http's
// goroutines, or keep the pointer to call Shutdown (graceful: ServeHTTP
// returns http.ErrServerClosed at once, the requests in progress finish,
// idle keep-alive connections are closed) or RegisterOnShutdown later. For
// example:
//
//	server.ServeHTTP(ctx, l, h, func(hs *http.Server) {
//		hs.ReadTimeout = 30 * time.Second
//		hs.MaxHeaderBytes = 16 << 10
//	})
func ServeHTTP(ctx context.Context, l net.Listener, handler http.Handler, configure ...func(*http.Server)) error {
	if sl, ok := l.(*socket.Listener); ok {
		// Its Accept parks the hub's running greenlet: from net/http's
		// goroutines that would be whichever greenlet the hub is running.
		l = sl.NetListener()
	}
	hs := &http.Server{
		Handler:           HTTPHandler(ctx, handler),
		ReadHeaderTimeout: defaultReadHeaderTimeout,
		IdleTimeout:       defaultIdleTimeout,
	}
	for _, f := range configure {
		f(hs)
	}
	_, err := gevent.Blocking(ctx, func(wctx context.Context) (struct{}, error) {
		stop := context.AfterFunc(wctx, func() { _ = hs.Close() })
		defer stop()
		err := hs.Serve(l)
		if errors.Is(err, http.ErrServerClosed) && wctx.Err() != nil {
			err = context.Cause(wctx)
		}
		return struct{}{}, err
	})
	return err
}

// ListenAndServeHTTP listens on the TCP address addr with net.Listen and
// calls ServeHTTP.
func ListenAndServeHTTP(ctx context.Context, addr string, handler http.Handler, configure ...func(*http.Server)) error {
	needHub(ctx, "ListenAndServeHTTP")
	var lc net.ListenConfig
	l, err := lc.Listen(core.Detach(ctx), "tcp", addr)
	if err != nil {
		return err
	}
	return ServeHTTP(ctx, l, handler, configure...)
}
