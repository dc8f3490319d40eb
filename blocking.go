package gevent

import (
	"context"
	"sync"

	"github.com/gevent-go/gevent/internal/core"
)

// defaultBlockingWorkers is the number of Blocking calls a hub runs at once
// unless WithBlockingWorkers says otherwise (gevent's threadpool has a
// maxsize of 10; goroutines are cheaper than threads, hence a larger one).
const defaultBlockingWorkers = 64

// WithBlockingWorkers bounds the worker goroutines that run the hub's
// Blocking calls at once: n > 0 workers (64 when the option is not given),
// n < 0 no bound (a goroutine per concurrent call, as errgroup's
// SetLimit(-1)). Calls beyond the bound queue in FIFO order; a queued call
// whose caller gives up is dropped without running. Idle workers are reused
// and stop when the hub closes. n == 0 panics.
func WithBlockingWorkers(n int) HubOption {
	if n == 0 {
		panic("gevent: WithBlockingWorkers(0): a hub needs at least one worker (negative: no bound)")
	}
	return HubOption{func(o *core.Options) { o.BlockingWorkers = n }}
}

// Blocking runs fn on a worker goroutine while the calling greenlet parks,
// so that code which blocks outside the library (a mutex, a file, a cgo call,
// a plain net.Conn) does not block the hub (gevent's threadpool.apply). The
// workers belong to the hub and are reused; at most 64 run at once unless
// the hub was made WithBlockingWorkers, further calls queue.
//
// fn gets a context with ctx's values and cancellation but no greenlet: the
// library's blocking calls made with it block the worker. When ctx is
// cancelled (the greenlet is killed, a timeout expires) Blocking returns at
// once with the cause: a call still queued is dropped and fn never runs; a
// running fn has its context cancelled too and its result is dropped. The
// hub does not finish stopping until running workers return. From a plain
// goroutine, Blocking simply calls fn.
func Blocking[T any](ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	if ctx == nil {
		panic("gevent: Blocking: nil ctx")
	}
	if fn == nil {
		panic("gevent: Blocking: nil fn")
	}
	var zero T
	g := core.Current(ctx)
	if g == nil {
		if err := core.Cause(ctx); err != nil {
			return zero, err
		}
		return fn(ctx)
	}
	o, err := core.NewOffload[T](ctx)
	if err != nil {
		return zero, err
	}
	jctx, cancel := context.WithCancelCause(core.Detach(ctx))
	poolOf(g.Hub()).submit(func() {
		o.Run(func() (T, error) {
			defer cancel(nil)
			return fn(jctx)
		})
	})
	v, ferr, cause := o.Wait(ctx)
	if cause != nil {
		cancel(cause)
		o.Abandon(nil)
		return zero, cause
	}
	return v, ferr
}

// workerPool is a hub's set of Blocking workers: started on demand, reused,
// stopped when the hub closes.
type workerPool struct {
	max int // the bound on workers; negative: none

	mu      sync.Mutex // guards the fields below
	jobs    []func()   // FIFO; a job whose caller gave up returns at once
	idle    int        // workers waiting on cond and not yet signalled
	workers int
	closed  bool
	cond    *sync.Cond
	wg      sync.WaitGroup
}

// pools holds each hub's workers (the hub has no slot for them yet): an
// entry is made by the hub's first Blocking call and deleted when it closes.
var pools sync.Map // *core.Hub → *workerPool

func poolOf(h *core.Hub) *workerPool {
	if p, ok := pools.Load(h); ok {
		return p.(*workerPool)
	}
	p := &workerPool{max: h.BlockingWorkers()}
	if p.max == 0 {
		p.max = defaultBlockingWorkers
	}
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

// submit queues job and wakes an idle worker for it, or starts one. A
// signalled worker stops counting as idle at once, so that two quick
// submits do not both signal the same one.
func (p *workerPool) submit(job func()) {
	p.mu.Lock()
	p.jobs = append(p.jobs, job)
	switch {
	case p.idle > 0:
		p.idle--
		p.cond.Signal()
	case p.max < 0 || p.workers < p.max:
		p.workers++
		p.wg.Add(1)
		go p.work()
	}
	p.mu.Unlock()
}

func (p *workerPool) work() {
	defer p.wg.Done()
	p.mu.Lock()
	for {
		for len(p.jobs) == 0 && !p.closed {
			p.idle++
			p.cond.Wait() // the signaller took us off idle
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
