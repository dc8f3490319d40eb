package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/core"
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
// example when the client goes away. The handler's reads of r.Body and its
// writes and flushes to w are performed by the waiting net/http goroutine
// while the greenlet parks, so a slow client never blocks the hub; such an
// operation, once started, completes even if the greenlet is killed (the
// kill is seen at the next switch point). w and r.Body must be used only
// from greenlets of the hub. w supports http.Flusher and, through
// http.NewResponseController, the underlying writer's other features; a
// hijacked net.Conn is a plain blocking one (wrap it with socket.WrapConn).
//
// A handler that panics is reported to the hub's error handler and the
// request is aborted as net/http does for a panic (http.ErrAbortHandler).
// If the hub has stopped, requests get 503 Service Unavailable.
//
// Memory model: the net/http goroutine's writes before calling the
// returned handler (the request) synchronize before the greenlet starts,
// and the greenlet's end synchronizes before the return of ServeHTTP.
func HTTPHandler(ctx context.Context, handler http.Handler) http.Handler {
	needHub(ctx, "HTTPHandler")
	if handler == nil {
		panic("gevent: server: HTTPHandler with a nil handler")
	}
	h := core.HubOf(ctx)
	return &httpHandler{hub: h, user: core.Detach(ctx), h: handler}
}

type httpHandler struct {
	hub  *core.Hub       // where the request greenlets run
	user context.Context // HTTPHandler's ctx without greenlet or hub, for values
	h    http.Handler
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

// ServeHTTP runs the request's handler in a greenlet and serves its I/O
// calls until it ends.
func (a *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rctx := r.Context()
	ex := &exchange{calls: make(chan *ioCall, 1), done: make(chan struct{}), hub: a.hub}
	gw := &responseWriter{w: w, ex: ex}
	ran := false // written by the greenlet; read after ex.done is closed
	g := gevent.Spawn(spawnCtx{Context: a.hub.Context(), req: core.Detach(rctx), user: a.user},
		func(gctx context.Context) (struct{}, error) {
			ran = true
			r2 := r.WithContext(gctx)
			if r.Body != nil && r.Body != http.NoBody {
				r2.Body = &requestBody{b: r.Body, ex: ex}
			}
			a.h.ServeHTTP(gw, r2)
			return struct{}{}, nil
		}, gevent.WithName("server.http"))
	g.OnReady(func() { close(ex.done) })

	reqDone := rctx.Done()
	for running := true; running; {
		select {
		case c := <-ex.calls:
			c.fn()
			c.w.Wake()
		case <-reqDone:
			gevent.Kill(rctx, g, gevent.KillNoWait())
			reqDone = nil
		case <-ex.done:
			running = false
		}
	}
	if !ran {
		// The hub stopped (or was never served) before the greenlet ran.
		http.Error(w, "503 service unavailable", http.StatusServiceUnavailable)
		return
	}
	var pe *gevent.PanicError
	if errors.As(g.Err(), &pe) {
		// Already reported by the hub; abort the response the way net/http
		// does for a panicking handler, without logging it twice.
		panic(http.ErrAbortHandler)
	}
}

// exchange carries a request greenlet's I/O calls to the net/http goroutine
// that waits for it: the greenlet parks while that goroutine does the call.
type exchange struct {
	calls chan *ioCall  // at most one call in flight (w and Body are not for concurrent use)
	done  chan struct{} // closed when the greenlet has ended
	hub   *core.Hub     // the hub the greenlet runs on
}

// ioCall is one operation done on the net/http goroutine for a greenlet.
type ioCall struct {
	fn func()
	w  *core.Waiter
}

// do runs fn on the waiting net/http goroutine and parks the calling
// greenlet until it has finished. The wait ignores kills: fn uses the
// caller's buffer, which must not be touched after do returns. The hub is
// held meanwhile, so that it does not mistake the wait for a deadlock.
func (ex *exchange) do(fn func()) {
	ctx := context.WithoutCancel(ex.hub.Context())
	if g := ex.hub.Current(); g != nil {
		ctx = context.WithoutCancel(g)
	}
	w, _ := core.Prepare(ctx) // WithoutCancel: never an error
	ex.hub.Hold()
	ex.calls <- &ioCall{fn: fn, w: w}
	_ = w.Block(ctx)
	ex.hub.Unhold()
	w.Release()
}

// responseWriter is the http.ResponseWriter a request greenlet sees: calls
// that may touch the network go through the exchange.
type responseWriter struct {
	w  http.ResponseWriter
	ex *exchange
}

func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

func (rw *responseWriter) Write(p []byte) (n int, err error) {
	rw.ex.do(func() { n, err = rw.w.Write(p) })
	return n, err
}

func (rw *responseWriter) WriteHeader(code int) {
	if code >= 200 {
		rw.w.WriteHeader(code) // only records the status: no I/O
		return
	}
	rw.ex.do(func() { rw.w.WriteHeader(code) }) // 1xx is written at once
}

// Flush implements http.Flusher.
func (rw *responseWriter) Flush() { _ = rw.FlushError() }

// FlushError is what http.ResponseController.Flush calls.
func (rw *responseWriter) FlushError() (err error) {
	rw.ex.do(func() { err = http.NewResponseController(rw.w).Flush() })
	return err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }

// requestBody is the request body a greenlet sees: reads go through the
// exchange.
type requestBody struct {
	b  io.ReadCloser
	ex *exchange
}

func (b *requestBody) Read(p []byte) (n int, err error) {
	b.ex.do(func() { n, err = b.b.Read(p) })
	return n, err
}

func (b *requestBody) Close() (err error) {
	b.ex.do(func() { err = b.b.Close() })
	return err
}

// ServeHTTP serves HTTP on l with net/http, running handler through
// HTTPHandler on ctx's hub, until ctx is cancelled (from a greenlet: until
// it is killed), then closes the http.Server (listener and connections) and
// returns ctx's cause. It returns earlier with net/http's error if Serve
// fails. l must be a plain listener (net.Listen): net/http drives it from
// its own goroutines. From a greenlet, net/http's accept loop runs on a
// gevent.Blocking worker while the greenlet parks.
func ServeHTTP(ctx context.Context, l net.Listener, handler http.Handler) error {
	hs := &http.Server{Handler: HTTPHandler(ctx, handler)}
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
func ListenAndServeHTTP(ctx context.Context, addr string, handler http.Handler) error {
	needHub(ctx, "ListenAndServeHTTP")
	var lc net.ListenConfig
	l, err := lc.Listen(core.Detach(ctx), "tcp", addr)
	if err != nil {
		return err
	}
	return ServeHTTP(ctx, l, handler)
}
