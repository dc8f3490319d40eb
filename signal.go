package gevent

import (
	"context"
	"os"
	"os/signal"
	"sync"

	"github.com/gevent-go/gevent/internal/core"
)

// SignalHandler runs fn in a new greenlet on ctx's hub each time the process
// receives sig (gevent's signal_handler). Like gevent's, it does not keep the
// hub alive. stop unregisters it; it is also stopped when the hub closes.
// One helper goroutine relays the signals while it is registered.
func SignalHandler(ctx context.Context, sig os.Signal, fn func(ctx context.Context)) (stop func()) {
	if ctx == nil {
		panic("gevent: SignalHandler: nil ctx")
	}
	if fn == nil {
		panic("gevent: SignalHandler: nil fn")
	}
	if core.RefusesRealIO(ctx) {
		panic("gevent: SignalHandler: real signals in a simulation: their arrival is outside the seed; " +
			"call the handler's function from the simulation instead, or set sim.Options.AllowRealIO " +
			"(the run is then not reproducible)")
	}
	h := hubOf(ctx, "SignalHandler")
	if sig == nil {
		// signal.Notify would register nothing, and signal.Stop then
		// spins for ever when the process has no signal enabled.
		panic("gevent: SignalHandler: nil sig")
	}
	spawnCtx := h.Context()
	ch := make(chan os.Signal, 1)
	quit := make(chan struct{})
	done := make(chan struct{})
	signal.Notify(ch, sig)
	go func() {
		defer close(done)
		for {
			select {
			case <-ch:
				SpawnRaw(spawnCtx, fn)
			case <-quit:
				return
			}
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			signal.Stop(ch)
			close(quit)
			<-done
		})
	}
	h.AddCloser(stop)
	return stop
}
