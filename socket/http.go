package socket

import (
	"context"
	"io"
	"net/http"

	"github.com/gevent-go/gevent/internal/core"
)

// HTTPClient returns a new *http.Client for the greenlets of ctx's hub: its
// requests, and the reads of their response bodies, park only the calling
// greenlet while the hub runs the others. Its Transport is
// HTTPTransport(ctx, nil), over http.DefaultTransport; set the client's
// other fields (Timeout, Jar, CheckRedirect) as usual.
//
//	client := socket.HTTPClient(ctx)
//	resp, err := client.Get(url) // parks this greenlet only
//
// See HTTPTransport for the exact contract.
func HTTPClient(ctx context.Context) *http.Client {
	return &http.Client{Transport: HTTPTransport(ctx, nil)}
}

// HTTPTransport returns rt (http.DefaultTransport when nil) wrapped for
// greenlets: each request runs on a goroutine of its own while the calling
// greenlet parks, so any number of requests may be in flight (there is no
// worker bound), and the response's Body parks the greenlet that reads or
// closes it in the same way. Connections, pooling, HTTP/2, proxies and TLS
// are rt's business, on rt's goroutines.
//
// Which greenlet parks: the one running on the request's hub (the hub of
// the request's context, else the hub of ctx) when RoundTrip, Body.Read or
// Body.Close is called. So call them from greenlets of that hub, as with a
// Conn: from a plain goroutine while that hub runs a greenlet they would
// park that greenlet instead. When the hub runs no greenlet (it has
// stopped, or the request has no hub at all) they simply call rt and block
// the calling goroutine, as a standard client does.
//
// Cancellation: the request's context (http.NewRequestWithContext with the
// greenlet's context, a gevent.WithTimeout scope, a client Timeout), and the
// kill of the parked greenlet, end a parked RoundTrip at once with the cause
// (wrapped by http.Client in a *url.Error; errors.Is finds it) and abort
// the request on rt's goroutine; a response that arrives meanwhile is
// closed. They end a parked Body.Read with the cause too, after the read in
// flight has returned (it may have filled part of the buffer: n is
// reported); the request is then aborted and later reads fail. Body.Close
// parks uncancellably: a killed greenlet's deferred Close still releases
// the connection.
//
// The request's body, if any, is read by rt on its own goroutine (as
// net/http always does): it must not be a value bound to a hub, such as a
// *Conn. A 101 Switching Protocols response's Body also parks the writer in
// Write. CloseIdleConnections is passed on to rt.
func HTTPTransport(ctx context.Context, rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	h := core.HubOf(ctx)
	if t, ok := rt.(*httpTransport); ok && t.h == h {
		return rt
	}
	return &httpTransport{h: h, rt: rt}
}

// httpTransport is HTTPTransport's round tripper.
type httpTransport struct {
	h  *core.Hub // the fallback hub (of the ctx given); may be nil
	rt http.RoundTripper
}

// RoundTrip runs rt.RoundTrip on a goroutine while the calling greenlet
// parks.
func (t *httpTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rctx := req.Context()
	h := core.HubOf(rctx)
	if h == nil {
		h = t.h
	}
	var g *core.G
	if h != nil {
		g = h.Current()
	}
	if g == nil {
		return t.rt.RoundTrip(req)
	}
	// The wait is cancelled by the request's context when it carries the
	// greenlet, else by the greenlet's kill.
	var wctx context.Context = g
	if core.Current(rctx) != nil {
		wctx = rctx
	}
	r := newHTTPRequest(rctx)
	o, err := core.NewOffload[*http.Response](wctx)
	if err != nil {
		r.done(err)
		closeRequestBody(req)
		return nil, err
	}
	o.Describe("http round trip", nil)
	out := req.WithContext(r.ctx)
	go o.Run(func() (*http.Response, error) { return t.rt.RoundTrip(out) })
	resp, err, cause := o.Wait(wctx)
	if cause != nil {
		r.done(cause) // aborts the request on rt's goroutine
		if !o.Abandon(func(resp *http.Response, _ error) {
			if resp != nil {
				resp.Body.Close()
			}
		}) {
			closeRequestBody(req) // rt never got it
		}
		return nil, cause
	}
	if err != nil {
		r.done(nil)
		return nil, err
	}
	if resp.Request == out {
		resp.Request = req // the caller's, not the transport's internal copy
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		r.done(nil)
		return resp, nil
	}
	b := &httpBody{rc: resp.Body, h: h, r: r}
	if rw, ok := resp.Body.(io.ReadWriteCloser); ok {
		resp.Body = &httpRWBody{b, rw}
	} else {
		resp.Body = b
	}
	return resp, nil
}

// CloseIdleConnections closes rt's idle connections, if rt has the method.
func (t *httpTransport) CloseIdleConnections() {
	if ci, ok := t.rt.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// httpRequest is the context rt sees for one request: the request context's
// values and cancellation without its greenlet or hub (rt's goroutines must
// not park greenlets), cancellable by the transport when the parked caller
// gives up. The request context is watched with its AfterFunc (no goroutine
// for the library's contexts or the context package's), not by deriving
// from core.Detach, which would cost a goroutine per request.
type httpRequest struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	stop   func() bool
}

func newHTTPRequest(parent context.Context) *httpRequest {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(core.Detach(parent)))
	r := &httpRequest{ctx: ctx, cancel: cancel}
	r.stop = context.AfterFunc(parent, func() { cancel(context.Cause(parent)) })
	return r
}

// done aborts the request with cause (nil: the request is over) and stops
// watching the request's context.
func (r *httpRequest) done(cause error) {
	r.stop()
	r.cancel(cause)
}

// httpBody is a response body whose Read and Close run on a goroutine while
// the calling greenlet parks.
type httpBody struct {
	rc io.ReadCloser
	h  *core.Hub
	r  *httpRequest
}

// Read reads from the body on a goroutine, parking the calling greenlet.
func (b *httpBody) Read(p []byte) (int, error) {
	g := b.h.Current()
	if g == nil {
		return b.rc.Read(p)
	}
	return offloadIO(g, b.r, func() (int, error) { return b.rc.Read(p) })
}

// Close closes the body (releasing or closing its connection), parking the
// calling greenlet uncancellably, and ends the request.
func (b *httpBody) Close() error {
	defer b.r.done(nil)
	g := b.h.Current()
	if g == nil {
		return b.rc.Close()
	}
	still := context.WithoutCancel(g)
	o, _ := core.NewOffload[struct{}](still)
	o.Describe("http body close", nil)
	go o.Run(func() (struct{}, error) { return struct{}{}, b.rc.Close() })
	_, err, _ := o.Wait(still)
	return err
}

// httpRWBody is the body of a 101 Switching Protocols response: writable.
type httpRWBody struct {
	*httpBody
	w io.Writer
}

// Write writes to the upgraded connection on a goroutine, parking the
// calling greenlet.
func (b *httpRWBody) Write(p []byte) (int, error) {
	g := b.h.Current()
	if g == nil {
		return b.w.Write(p)
	}
	return offloadIO(g, b.r, func() (int, error) { return b.w.Write(p) })
}

// offloadIO runs one body Read or Write for greenlet g. When g's wait ends
// early, the request is aborted with the cause so that op returns, and op
// is waited for: it owns the caller's buffer until then.
func offloadIO(g *core.G, r *httpRequest, op func() (int, error)) (int, error) {
	o, err := core.NewOffload[int](g)
	if err != nil {
		return 0, err
	}
	o.Describe("http body", op)
	go o.Run(op)
	n, err, cause := o.Wait(g)
	if cause != nil {
		r.cancel(cause)
		n, _ = o.Finish(g)
		return n, cause
	}
	return n, err
}
