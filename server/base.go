package server

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/core"
)

// ErrServerClosed is returned by Serve and ListenAndServe after a call to
// Close or Shutdown, and by Serve when it is called after one.
var ErrServerClosed = errors.New("gevent/server: server closed")

// Accept back-off (gevent's BaseServer.min_delay and max_delay): after a
// failed Accept the loop sleeps minDelay, doubling on each consecutive
// failure up to maxDelay; a successful Accept resets it.
const (
	minDelay = 10 * time.Millisecond
	maxDelay = time.Second
)

// maxAccept is gevent's BaseServer.max_accept: an accept (or datagram
// read) loop that has taken this many connections without waiting yields,
// so that the handlers it started run even while a backlog or a flood
// keeps Accept from ever waiting.
const maxAccept = 100

// killTimeout bounds how long Shutdown waits, once its context has ended, for
// the handlers it killed to finish (gevent's stop kills its pool with
// timeout=1).
const killTimeout = time.Second

// testHookAcceptDelay, when set, is called with each back-off delay before
// the accept loop sleeps it (see export_test.go).
var testHookAcceptDelay func(time.Duration)

// base is the life cycle shared by StreamServer and DatagramServer: the set
// of serve loops (one greenlet per listener) and the set of handler
// greenlets, so that Close and Shutdown can stop and kill them.
//
// Lifecycle:
//
//	open ──Close/Shutdown──▶ closed (terminal)
//
// In the open state Serve starts serve loops and the loops start handlers;
// once closed, Serve returns ErrServerClosed at once and a connection
// accepted by a loop that has not yet noticed is closed without a handler.
type base struct {
	mu       sync.Mutex // guards the fields below
	state    serverState
	loops    map[*loop]struct{}
	handlers map[*handler]struct{}
	spawner  Spawner // resolved on first use from Pool / MaxHandlers
	madePool bool
	hooks    map[*shutdownHook]struct{} // OnShutdown registrations, until the close
}

// serverState is the server's life-cycle state; see base.
type serverState uint8

const (
	stateOpen   serverState = iota // accepting (or ready to)
	stateClosed                    // Close or Shutdown was called; terminal
)

func (s serverState) String() string {
	switch s {
	case stateOpen:
		return "open"
	case stateClosed:
		return "closed"
	}
	return "invalid"
}

// loop is one running Serve: its listener (closed to stop it) and the
// greenlet running its accept or read loop (killed to stop it when it waits
// for a pool slot or sleeps in back-off).
type loop struct {
	closer io.Closer
	task   gevent.Task // set under base.mu once spawned
}

// handler is one running handler greenlet and, for a StreamServer, the
// connection it owns.
type handler struct {
	conn net.Conn    // nil for datagrams
	task gevent.Task // set under base.mu once spawned
	once sync.Once
}

// closeConn closes the handler's connection once, whichever of the handler's
// return, its kill before it ran, or Close gets there first.
func (h *handler) closeConn() {
	if h.conn != nil {
		h.once.Do(func() { _ = h.conn.Close() })
	}
}

// needHub panics unless ctx can spawn greenlets.
func needHub(ctx context.Context, what string) {
	core.MustHub(ctx, "gevent/server: "+what)
}

// serve runs body (the accept or read loop) in a new greenlet on ctx's hub
// and waits for it: from a greenlet the caller parks, from a plain goroutine
// it blocks. Running the loop in its own greenlet lets Close and Shutdown
// kill it without killing the caller. When ctx is cancelled first, the loop
// is killed and serve returns ctx's cause.
func (b *base) serve(ctx context.Context, c io.Closer, name string, body func(ctx context.Context, lp *loop) error) error {
	return b.serveLoops(ctx, []loopSpec{{closer: c, spawn: core.Unspread(ctx), name: name, body: body}})
}

// loopSpec is one accept or read loop of a Serve: what closes it, the
// context its greenlet is spawned with (which names its hub) and its body.
type loopSpec struct {
	closer io.Closer
	spawn  context.Context
	name   string
	body   func(ctx context.Context, lp *loop) error
}

// serveLoops runs each loop in a greenlet of its own, on the hub of its
// spawn context, and waits for them (see serve). When one loop ends by
// itself (a fatal error), the others are stopped and its error returned.
func (b *base) serveLoops(ctx context.Context, specs []loopSpec) error {
	b.mu.Lock()
	if b.state != stateOpen {
		b.mu.Unlock()
		for _, sp := range specs {
			_ = sp.closer.Close()
		}
		return ErrServerClosed
	}
	if b.loops == nil {
		b.loops = make(map[*loop]struct{})
	}
	gs := make([]*gevent.Greenlet[error], len(specs))
	for i, sp := range specs {
		lp := &loop{closer: sp.closer}
		b.loops[lp] = struct{}{}
		// The loop's error is its value, not its failure: Serve returns it,
		// and the hub need not report it too. The loop's greenlet, and the
		// handlers it spawns, carry the server for ShuttingDown and
		// OnShutdown.
		c, body := sp.closer, sp.body
		g := gevent.Spawn(context.WithValue(sp.spawn, serverKey{}, b), func(lctx context.Context) (error, error) {
			defer func() {
				_ = c.Close()
				b.mu.Lock()
				delete(b.loops, lp)
				b.mu.Unlock()
			}()
			return body(lctx, lp), nil
		}, gevent.WithName(sp.name))
		lp.task = g
		gs[i] = g
	}
	b.mu.Unlock()

	// stopAll closes every loop's listener and kills its greenlet, and
	// waits for them to end.
	stopAll := func() {
		for _, sp := range specs {
			_ = sp.closer.Close()
		}
		_ = gevent.KillAll(context.WithoutCancel(ctx), gs)
	}
	first, err := gevent.Wait(ctx, gs, gevent.Count(1))
	if err != nil {
		stopAll()
		return err
	}
	if len(gs) > 1 {
		// One loop ended: the others end too (they do already if the
		// server was closed or the hubs are stopping).
		stopAll()
	}
	g := first[0]
	err, kerr := g.Value(), g.Err()
	if kerr != nil {
		err = kerr // killed (the hub is stopping) or, impossibly, panicked
	}
	if b.closed() || errors.Is(err, gevent.ErrGreenletExit) {
		// Killed by Close/Shutdown (or the hub stopping): the loop's own
		// error is just the kill's echo.
		return ErrServerClosed
	}
	return err
}

// listenAddr does ListenAndServe's checks and returns the address to listen
// on (addr, or ":0" for an ephemeral port).
func (b *base) listenAddr(ctx context.Context, addr string) (string, error) {
	needHub(ctx, "ListenAndServe")
	if b.closed() {
		return "", ErrServerClosed
	}
	if addr == "" {
		addr = ":0"
	}
	return addr, nil
}

func (b *base) closed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state != stateOpen
}

// resolveSpawner returns the spawner for handlers: pool if set, else a
// pool.Pool of maxHandlers made once, else nil (unbounded gevent.Spawn).
func (b *base) resolveSpawner(pool Spawner, maxHandlers int) Spawner {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.spawner == nil && !b.madePool {
		b.madePool = true
		switch {
		case pool != nil:
			b.spawner = pool
		case maxHandlers > 0:
			b.spawner = newPool(maxHandlers)
		}
	}
	return b.spawner
}

// waitRoom parks the loop while sp is full (gevent stops accepting while
// the pool is full and resumes when a slot frees), so that no connection is
// accepted that no handler can take.
func waitRoom(ctx context.Context, sp Spawner) error {
	if sp == nil || !sp.Full() {
		return nil
	}
	_, err := sp.WaitAvailable(ctx)
	return err
}

// start runs fn for one connection (or datagram) in a new handler greenlet,
// through sp when set. conn, when not nil, is closed when the handler ends,
// even if it never ran. It returns false when the server is closed (conn is
// closed then) or the spawn failed.
func (b *base) start(ctx context.Context, sp Spawner, conn net.Conn, fn func(ctx context.Context)) error {
	h := &handler{conn: conn}
	b.mu.Lock()
	if b.state != stateOpen {
		b.mu.Unlock()
		h.closeConn()
		return ErrServerClosed
	}
	if b.handlers == nil {
		b.handlers = make(map[*handler]struct{})
	}
	b.handlers[h] = struct{}{}
	b.mu.Unlock()

	body := func(hctx context.Context) error {
		defer h.closeConn()
		fn(hctx)
		return nil
	}
	var t gevent.Task
	var err error
	if sp != nil {
		var g *gevent.Greenlet[struct{}]
		if g, err = sp.Spawn(ctx, body); err == nil {
			t = g
		}
	} else {
		t = gevent.Go(ctx, body)
	}
	if err != nil {
		b.mu.Lock()
		delete(b.handlers, h)
		b.mu.Unlock()
		h.closeConn()
		return err
	}
	b.mu.Lock()
	h.task = t
	b.mu.Unlock()
	// Runs on the hub once the handler has ended, including when it was
	// killed before it ever ran (then its deferred close never ran).
	t.OnReady(func() {
		h.closeConn()
		b.mu.Lock()
		delete(b.handlers, h)
		b.mu.Unlock()
	})
	return nil
}

// beginClose moves to the closed state, runs the OnShutdown hooks (on
// their hubs) and returns the loops to stop.
func (b *base) beginClose() []*loop {
	b.mu.Lock()
	b.state = stateClosed
	loops := make([]*loop, 0, len(b.loops))
	for lp := range b.loops {
		loops = append(loops, lp)
	}
	hooks := b.postHooksLocked()
	b.mu.Unlock()
	for _, hk := range hooks {
		hk.hub.Post(hk.run)
	}
	return loops
}

// stopLoops closes the loops' listeners and kills their greenlets without
// waiting; it returns the first error from closing a listener.
func stopLoops(loops []*loop) error {
	var first error
	for _, lp := range loops {
		if err := lp.closer.Close(); err != nil && first == nil && !errors.Is(err, net.ErrClosed) {
			first = err
		}
		if lp.task != nil {
			gevent.Kill(context.Background(), lp.task)
		}
	}
	return first
}

// handlerTasks returns the running handlers' greenlets, except self (a
// handler calling Shutdown does not wait for itself).
func (b *base) handlerTasks(self gevent.Task) []gevent.Task {
	b.mu.Lock()
	defer b.mu.Unlock()
	ts := make([]gevent.Task, 0, len(b.handlers))
	for h := range b.handlers {
		if h.task != nil && h.task != self {
			ts = append(ts, h.task)
		}
	}
	return ts
}

// close is Close: stop the loops, kill every handler without waiting and
// close its connection.
func (b *base) close() error {
	err := stopLoops(b.beginClose())
	// task is read under mu, where start writes it: another hub's loop may
	// be starting a handler as Close runs (a group's server).
	type running struct {
		h    *handler
		task gevent.Task
	}
	b.mu.Lock()
	hs := make([]running, 0, len(b.handlers))
	for h := range b.handlers {
		hs = append(hs, running{h, h.task})
	}
	b.mu.Unlock()
	for _, r := range hs {
		if r.task != nil {
			gevent.Kill(context.Background(), r.task)
		}
		r.h.closeConn()
	}
	return err
}

// shutdown is Shutdown: stop the loops, wait for the handlers while ctx
// allows, then kill the rest and wait (at most killTimeout) for them to end.
func (b *base) shutdown(ctx context.Context) error {
	loops := b.beginClose()
	err := stopLoops(loops)
	// The loops end promptly (listener closed, greenlet killed); once they
	// have, no handler can be added any more, so the snapshot below is
	// complete.
	lts := make([]gevent.Task, 0, len(loops))
	for _, lp := range loops {
		if lp.task != nil {
			lts = append(lts, lp.task)
		}
	}
	if len(lts) > 0 {
		wctx, cancel := gevent.WithTimeout(context.WithoutCancel(ctx), killTimeout)
		_, _ = gevent.JoinAll(wctx, lts)
		cancel()
	}
	self := gevent.Current(ctx)
	ts := b.handlerTasks(self)
	if len(ts) == 0 {
		return err
	}
	if _, jerr := gevent.JoinAll(ctx, ts); jerr == nil {
		return err
	}
	// Out of time: kill the rest at their next switch point, as gevent's
	// stop(timeout) does, and give them killTimeout to finish.
	ts = b.handlerTasks(self)
	kctx, cancel := gevent.WithTimeout(context.WithoutCancel(ctx), killTimeout)
	_ = gevent.KillAll(kctx, ts)
	cancel()
	if cerr := context.Cause(ctx); cerr != nil {
		return cerr
	}
	return ctx.Err()
}

// isFatal reports whether an accept or read error means the listener is
// unusable (gevent's fatal_errors: EBADF, EINVAL, ENOTSOCK; and a closed
// listener).
func isFatal(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) ||
		errors.Is(err, syscall.EBADF) || errors.Is(err, syscall.EINVAL) ||
		errors.Is(err, syscall.ENOTSOCK)
}

// backoff returns the next accept back-off delay after d (0: none yet).
func backoff(d time.Duration) time.Duration {
	if d == 0 {
		return minDelay
	}
	return min(2*d, maxDelay)
}

// startFailed is a loop's answer to a handler that could not be started
// (its Spawner failed; gevent's do_handle failure): that connection or
// datagram is dropped (start closed the connection), the error logged, and
// the loop backs off as after an accept error, then goes on serving. It
// returns the error that ends the loop instead: ErrServerClosed once the
// server is closed, ctx's cause once ctx ends.
func (b *base) startFailed(ctx context.Context, l *log.Logger, err error, delay *time.Duration) error {
	if b.closed() {
		return ErrServerClosed
	}
	if cerr := contextCause(ctx); cerr != nil {
		return cerr
	}
	*delay = backoff(*delay)
	logf(l, "gevent/server: starting a handler failed: %v; retrying in %v", err, *delay)
	return sleepBackoff(ctx, *delay)
}

// paced is called by a loop after each connection or datagram it handed to
// a handler; every maxAccept of them it yields (see maxAccept), and it
// returns the yield's error (the loop was killed).
func paced(ctx context.Context, n *int) error {
	if *n++; *n < maxAccept {
		return nil
	}
	*n = 0
	return gevent.Yield(ctx)
}

// sleepBackoff sleeps the back-off delay on the hub after a failed accept.
func sleepBackoff(ctx context.Context, d time.Duration) error {
	if h := testHookAcceptDelay; h != nil {
		h(d)
	}
	return gevent.Sleep(ctx, d)
}

// contextCause is ctx's cancellation cause, or nil.
func contextCause(ctx context.Context) error { return core.Cause(ctx) }

// logf reports through l, or the log package's standard logger.
func logf(l *log.Logger, format string, args ...any) {
	if l != nil {
		l.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}
