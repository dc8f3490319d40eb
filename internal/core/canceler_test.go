package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCancelerFirstCauseWins races cancellations with different causes on
// one canceler: exactly one call reports that it cancelled, its cause is the
// one every observer sees (causeOf, Err, context.Cause, each listener and
// each AfterFunc callback, each parked waiter), every listener fires once,
// the Done channel is closed, and what registers afterwards fires at once
// with the same cause.
func TestCancelerFirstCauseWins(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	const racers, funcs, waiters = 6, 3, 3
	for round := range rounds {
		var c canceler
		causes := make([]error, racers)
		for i := range causes {
			causes[i] = fmt.Errorf("cause %d", i)
		}
		var calls atomic.Int32
		seen := make([]error, funcs)
		for i := range funcs {
			c.afterFunc(func() {
				calls.Add(1)
				seen[i] = c.causeOf()
			})
		}
		ws := make([]*Waiter, waiters)
		for i := range ws {
			ws[i] = &Waiter{ch: make(chan struct{}, 1)}
			ws[i].begin()
			c.add(ws[i].listener())
		}
		done, _ := c.doneChan()

		var won [racers]bool
		var start, wg sync.WaitGroup
		start.Add(1)
		for i := range racers {
			wg.Go(func() {
				start.Wait()
				won[i] = c.cancel(causes[i])
			})
		}
		start.Done()
		wg.Wait()

		winner := -1
		for i, w := range won {
			if w {
				if winner >= 0 {
					t.Fatalf("round %d: cancels %d and %d both report winning", round, winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no cancel reports winning", round)
		}
		want := causes[winner]
		if got := c.causeOf(); got != want {
			t.Fatalf("round %d: cause %v, winner's %v", round, got, want)
		}
		if n := calls.Load(); n != funcs {
			t.Fatalf("round %d: %d AfterFunc calls, want %d", round, n, funcs)
		}
		for i, s := range seen {
			if s != want {
				t.Fatalf("round %d: AfterFunc %d saw %v, want %v", round, i, s, want)
			}
		}
		for i, w := range ws {
			<-w.ch // exactly one signal each; a missing one hangs (test deadline)
			if err := w.finish(); err != want {
				t.Fatalf("round %d: waiter %d ended with %v, want %v", round, i, err, want)
			}
			if len(w.ch) != 0 {
				t.Fatalf("round %d: waiter %d signalled twice", round, i)
			}
		}
		select {
		case <-done:
		default:
			t.Fatalf("round %d: Done not closed", round)
		}
		// Registered after the fact: fires soon, on its own goroutine
		// (context.AfterFunc's rule), with the same cause; a late cancel
		// changes nothing.
		lateCh := make(chan error, 1)
		c.afterFunc(func() { lateCh <- c.causeOf() })
		if late := <-lateCh; late != want {
			t.Fatalf("round %d: late AfterFunc saw %v, want %v", round, late, want)
		}
		if c.cancel(errors.New("late")) || c.causeOf() != want {
			t.Fatalf("round %d: a late cancel changed the cause to %v", round, c.causeOf())
		}
	}
}

// TestKillFirstCauseWins races kills with different causes against each
// other and against the greenlet's own return: the first cause reaches the
// greenlet's context (Err, context.Cause) and its parked wait, and later
// kills change nothing.
func TestKillFirstCauseWins(t *testing.T) {
	h := NewHub(context.Background(), Options{ErrorHandler: func(*G, error) {}})
	served := make(chan struct{})
	go func() {
		defer close(served)
		h.Serve(context.Background(), nil)
	}()
	defer func() { h.Stop(); <-served }()

	rounds := 200
	if testing.Short() {
		rounds = 40
	}
	for round := range rounds {
		parked := make(chan struct{})
		var waitErr error
		g := spawnG(h, h.Context(), func(g *G) error {
			w, err := Prepare(g)
			if err != nil {
				return err
			}
			close(parked)
			waitErr = w.Block(g)
			return waitErr
		})
		causes := []error{errors.New("a"), errors.New("b"), ErrGreenletExit, errors.New("d")}
		<-parked // parked, or about to park: the own-slot protocol covers both
		var wg sync.WaitGroup
		for _, c := range causes {
			wg.Go(func() { g.Kill(c) })
		}
		wg.Wait()
		if err := g.Join(context.Background()); err != nil {
			t.Fatalf("Join = %v", err)
		}
		first := g.causeOf()
		if waitErr != first || g.Result() != first {
			t.Fatalf("round %d: wait ended with %v, result %v, context cause %v: want all equal", round, waitErr, g.Result(), first)
		}
		if !errors.Is(g.Err(), first) || !errors.Is(context.Cause(g), first) {
			t.Fatalf("round %d: Err %v, context.Cause %v, want them to be or wrap %v", round, g.Err(), context.Cause(g), first)
		}
		g.Kill(errors.New("late"))
		if g.causeOf() != first || g.Result() != first {
			t.Fatalf("round %d: a late kill changed the cause", round)
		}
	}
}

// TestTimerCtxExpireOrCancel races a TimerCtx's expiry against its cancel
// function: whichever is first is the cause, Expired says which, and the
// context's Err and Cause agree with it.
func TestTimerCtxExpireOrCancel(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	expired := 0
	for range rounds {
		self := errors.New("timeout")
		var tc TimerCtx
		tc.Init(self)
		tc.Start(context.Background(), time.Microsecond) // a runtime timer: no hub
		var wg sync.WaitGroup
		wg.Go(func() { tc.CancelWith(context.Canceled) })
		wg.Wait()
		<-tc.Done()
		cause := tc.causeOf()
		switch {
		case cause == self && tc.Expired():
			expired++
		case cause == context.Canceled && !tc.Expired():
		default:
			t.Fatalf("cause %v, Expired %v", cause, tc.Expired())
		}
		if !errors.Is(tc.Err(), cause) || !errors.Is(context.Cause(&tc), cause) {
			t.Fatalf("Err %v, context.Cause %v: want them to be or wrap %v", tc.Err(), context.Cause(&tc), cause)
		}
	}
	t.Logf("%d of %d rounds expired first", expired, rounds)
}

// TestContextCauseIsExact checks that context.Cause of a library context
// cancelled with a custom cause returns that very cause, not the wrapper Err
// returns: the std/cancelCtxKey machinery of canceler exists for this.
func TestContextCauseIsExact(t *testing.T) {
	custom := errors.New("custom")
	g := new(G) // a greenlet's context, killed with custom
	g.cancel(custom)
	if got := context.Cause(g); got != custom {
		t.Errorf("context.Cause(killed greenlet ctx) = %#v, want the cause itself", got)
	}
	var tc TimerCtx
	tc.Init(custom)
	tc.parent, tc.values = context.Background(), context.Background()
	tc.expire()
	if got := context.Cause(&tc); got != custom {
		t.Errorf("context.Cause(expired TimerCtx) = %#v, want the cause itself", got)
	}
	child, cancel := context.WithCancel(g)
	defer cancel()
	if got := context.Cause(child); got != custom {
		t.Errorf("context.Cause(child of killed greenlet ctx) = %#v, want the cause itself", got)
	}
}

// TestTimerCtxRestartAfterStop stops a runtime-timer TimerCtx (no hub: a
// Timeout used from a plain goroutine) around the moment it fires and starts
// it again at once, as Timeout.Cancel then Timeout.Start do.
func TestTimerCtxRestartAfterStop(t *testing.T) {
	tc := new(TimerCtx)
	tc.Init(errors.New("timeout"))
	for i := range 1000 {
		if !tc.Start(context.Background(), 20*time.Microsecond) {
			t.Fatalf("round %d: first Start refused", i)
		}
		time.Sleep(time.Duration(i%40) * time.Microsecond) // around the expiry, on purpose
		tc.Stop()
		if !tc.Reusable() {
			// It expired before Stop: a cancelled context is never
			// restarted (Timeout.Start takes a fresh one).
			tc = new(TimerCtx)
			tc.Init(errors.New("timeout"))
		}
		if !tc.Start(context.Background(), time.Hour) {
			t.Fatalf("round %d: Start right after Stop refused: still pending", i)
		}
		time.Sleep(100 * time.Microsecond)
		if tc.cancelled.Load() {
			t.Fatalf("round %d: the restarted run (1 hour) was cancelled by the previous run's expiry", i)
		}
		tc.Stop()
	}
}

// TestAfterFuncOnCancelledRunsLater pins the contract the context package
// relies on when it derives from our contexts: AfterFunc on an already
// cancelled context calls f later, on its own goroutine (as
// context.AfterFunc does), never before AfterFunc returns. propagateCancel
// calls a parent's AfterFunc holding the child's lock, and f takes that
// lock: a synchronous call deadlocks.
func TestAfterFuncOnCancelledRunsLater(t *testing.T) {
	g := new(G)
	g.cancel(ErrGreenletExit)
	var tc TimerCtx
	tc.Init(errors.New("timeout"))
	tc.parent, tc.values = context.Background(), context.Background()
	tc.expire()
	for _, c := range []interface{ AfterFunc(func()) func() bool }{g, &tc} {
		// As propagateCancel does: call AfterFunc holding a lock that f
		// takes. A synchronous call would deadlock right here.
		var mu sync.Mutex
		ran := make(chan struct{})
		mu.Lock()
		c.AfterFunc(func() {
			mu.Lock()
			//lint:ignore SA2001 empty on purpose: f waits until AfterFunc's caller has released mu
			mu.Unlock()
			close(ran)
		})
		mu.Unlock()
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
			t.Errorf("%T.AfterFunc on a cancelled context never called f", c)
		}
	}
}
