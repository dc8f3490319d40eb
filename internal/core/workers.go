package core

import "sync"

// The hub's Blocking workers: goroutines that run outside work for the
// hub's greenlets, started on demand, reused, stopped when the hub closes.
// They are per-hub state and live in the hub (Hub.workers).

// SubmitBlocking queues job on the hub's Blocking workers, starting the
// pool on first use with the hub's BlockingWorkers option (def when it is
// 0; negative: no bound). Any goroutine.
func (h *Hub) SubmitBlocking(def int, job func()) {
	h.mu.Lock()
	p := h.workers
	if p == nil {
		p = &workerPool{max: h.opts.BlockingWorkers}
		if p.max == 0 {
			p.max = def
		}
		p.cond = sync.NewCond(&p.mu)
		h.workers = p
		h.closers = append(h.closers, p.close)
	}
	h.mu.Unlock()
	p.submit(job)
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
