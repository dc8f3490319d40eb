package gevent

import (
	"context"
	"sync"

	"github.com/gevent-go/gevent/internal/core"
)

// maxBlockingWorkers bounds the goroutines a hub keeps for Blocking calls
// (gevent's threadpool maxsize); further calls queue.
const maxBlockingWorkers = 64

// Blocking runs fn on a worker goroutine while the calling greenlet parks,
// so that code which blocks outside the library (a mutex, a file, a cgo call,
// a plain net.Conn) does not block the hub (gevent's threadpool.apply). The
// workers belong to the hub, at most 64 run at once, and they are reused.
//
// fn gets a context with ctx's values and cancellation but no greenlet: the
// library's blocking calls made with it block the worker. When ctx is
// cancelled (the greenlet is killed, a timeout expires) Blocking returns at
// once with the cause and fn's context is cancelled too; fn's result is then
// dropped. The hub does not finish stopping until running workers return.
// From a plain goroutine, Blocking simply calls fn.
func Blocking[T any](ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	if ctx == nil {
		panic("gevent: Blocking: nil ctx")
	}
	if fn == nil {
		panic("gevent: Blocking: nil fn")
	}
	var zero T
	if err := core.Cause(ctx); err != nil {
		return zero, err
	}
	g := core.Current(ctx)
	if g == nil {
		return fn(ctx)
	}
	h := g.Hub()
	jctx, cancel := context.WithCancelCause(core.Detach(ctx))
	j := &blockingJob[T]{fn: fn, ctx: jctx}
	w, err := core.Prepare(ctx)
	if err != nil {
		cancel(err)
		return zero, err
	}
	j.w = w
	h.Hold()
	poolOf(h).submit(func() {
		v, err := j.fn(j.ctx)
		j.mu.Lock()
		j.value, j.err, j.done = v, err, true
		if j.w != nil {
			j.w.Wake()
		}
		j.mu.Unlock()
		cancel(nil)
		h.Unhold()
		h.Post(func() {}) // let a stopping hub see the hold released
	})
	err = w.Block(ctx)
	j.mu.Lock()
	j.w = nil
	v, ferr := j.value, j.err
	j.mu.Unlock()
	if err != nil {
		cancel(err)
		return zero, err
	}
	return v, ferr
}

type blockingJob[T any] struct {
	fn  func(context.Context) (T, error)
	ctx context.Context

	mu    sync.Mutex // guards the fields below
	w     *core.Waiter
	value T
	err   error
	done  bool
}

// workerPool is a hub's set of Blocking workers: started on demand, reused,
// stopped when the hub closes.
type workerPool struct {
	mu      sync.Mutex // guards the fields below
	jobs    []func()
	idle    int
	workers int
	closed  bool
	cond    *sync.Cond
	wg      sync.WaitGroup
}

var pools sync.Map // *core.Hub → *workerPool

func poolOf(h *core.Hub) *workerPool {
	if p, ok := pools.Load(h); ok {
		return p.(*workerPool)
	}
	p := &workerPool{}
	p.cond = sync.NewCond(&p.mu)
	if actual, loaded := pools.LoadOrStore(h, p); loaded {
		return actual.(*workerPool)
	}
	h.AddCloser(func() {
		p.close()
		pools.Delete(h)
	})
	return p
}

func (p *workerPool) submit(job func()) {
	p.mu.Lock()
	p.jobs = append(p.jobs, job)
	if p.idle == 0 && p.workers < maxBlockingWorkers {
		p.workers++
		p.wg.Add(1)
		go p.work()
	} else {
		p.cond.Signal()
	}
	p.mu.Unlock()
}

func (p *workerPool) work() {
	defer p.wg.Done()
	p.mu.Lock()
	for {
		for len(p.jobs) == 0 && !p.closed {
			p.idle++
			p.cond.Wait()
			p.idle--
		}
		if len(p.jobs) == 0 {
			p.workers--
			p.mu.Unlock()
			return
		}
		job := p.jobs[0]
		p.jobs[0] = nil
		p.jobs = p.jobs[1:]
		p.mu.Unlock()
		job()
		p.mu.Lock()
	}
}

func (p *workerPool) close() {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	p.wg.Wait()
}
