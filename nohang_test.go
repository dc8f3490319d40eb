package gevent_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
)

// A blocking call with a context that carries no greenlet, made from code
// the hub runs between greenlets, panics with a gevent: message instead of
// blocking the hub's goroutine for ever (issue 10, item 5).
func TestBlockingWithPlainContextInHubCallbackPanics(t *testing.T) {
	const want = "gevent: blocking call inside a hub callback"
	cases := map[string]func(ctx context.Context, block func()){
		"RawLink": func(ctx context.Context, block func()) {
			g := gevent.Go(ctx, func(context.Context) error { return nil })
			g.RawLink(func(*gevent.Greenlet[struct{}]) { block() })
			g.Join(ctx)
		},
		"OnReady": func(ctx context.Context, block func()) {
			g := gevent.Go(ctx, func(context.Context) error { return nil })
			g.OnReady(block)
			g.Join(ctx)
		},
		"AfterFunc": func(ctx context.Context, block func()) {
			var fired event.Event
			gevent.AfterFunc(ctx, time.Millisecond, func() {
				defer fired.Set()
				block()
			})
			fired.Wait(ctx)
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var got atomic.Value
			runWithin(t, 10*time.Second, func() {
				gevent.Run(context.Background(), func(ctx context.Context) error {
					c(ctx, func() {
						defer func() { got.Store(fmt.Sprint(recover())) }()
						new(event.Event).Wait(context.Background())
					})
					gevent.Yield(ctx)
					return nil
				})
			})
			if msg, _ := got.Load().(string); !strings.Contains(msg, want) {
				t.Errorf("panic = %q, want it to contain %q", msg, want)
			}
		})
	}
	t.Run("error handler", func(t *testing.T) {
		var got atomic.Value
		runWithin(t, 10*time.Second, func() {
			handler := gevent.WithErrorHandler(func(gevent.Task, error) {
				defer func() { got.Store(fmt.Sprint(recover())) }()
				new(event.Event).Wait(context.Background())
			})
			gevent.Run(context.Background(), func(ctx context.Context) error {
				gevent.Go(ctx, func(context.Context) error { return errors.New("boom") }).Join(ctx)
				gevent.Yield(ctx)
				return nil
			}, handler)
		})
		if msg, _ := got.Load().(string); !strings.Contains(msg, want) {
			t.Errorf("panic = %q, want it to contain %q", msg, want)
		}
	})
}

// A plain goroutine that uses a greenlet's context while the hub runs an
// unrelated greenlet panics instead of parking the wrong coroutine (issue
// 10, item 7). The running greenlet holds the hub on purpose (a raw channel
// receive) so that the goroutine's call lands exactly then.
func TestGreenletContextFromPlainGoroutinePanics(t *testing.T) {
	var msg string
	runWithin(t, 10*time.Second, func() {
		geventtest.Run(t, func(ctx context.Context) error {
			var never event.Event
			var actx context.Context
			a := gevent.Go(ctx, func(ctx context.Context) error {
				actx = ctx
				return never.Wait(ctx)
			})
			gevent.Yield(ctx) // a parks
			b := gevent.Go(ctx, func(context.Context) error {
				done := make(chan string)
				go func() {
					defer func() { done <- fmt.Sprint(recover()) }()
					never.Wait(actx)
				}()
				msg = <-done // holds the hub: b is its running greenlet
				return nil
			})
			b.Join(ctx)
			a.Kill(ctx)
			return nil
		})
	})
	if !strings.Contains(msg, "gevent: blocking call with the context of greenlet") {
		t.Errorf("panic = %q, want the foreign-context message", msg)
	}
}

// A greenlet may wait with a captured ancestor's context (an iterator a
// pool consumes, a closure): it parks itself, and its own kill ends the
// wait.
func TestDescendantWaitsWithAncestorContext(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var never event.Event
		child := gevent.Go(ctx, func(context.Context) error {
			return never.Wait(ctx) // main's context, captured
		})
		gevent.Yield(ctx)
		child.Kill(ctx)
		if err := child.Err(); !errors.Is(err, gevent.ErrGreenletExit) {
			t.Errorf("child ended with %v, want its kill", err)
		}
		return nil
	})
}

// Hubs created and never served hold nothing: they are collected, and one
// with greenlets given to it does not stop another hub from declaring
// ErrLoopExit (issue 10, item 10).
func TestUnservedHubs(t *testing.T) {
	const n = 200
	var collected atomic.Int32
	for range n {
		h := gevent.NewHub()
		gevent.Go(h.Context(), func(context.Context) error { return nil })
		runtime.AddCleanup(h, func(*atomic.Int32) { collected.Add(1) }, &collected)
	}
	deadline := time.Now().Add(10 * time.Second)
	for collected.Load() < n && time.Now().Before(deadline) {
		runtime.GC()
		runtime.Gosched()
	}
	if c := collected.Load(); c < n {
		t.Errorf("%d of %d unserved hubs were collected", c, n)
	}

	idle := gevent.NewHub()
	gevent.Go(idle.Context(), func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
	runWithin(t, 10*time.Second, func() {
		err := gevent.Run(context.Background(), func(ctx context.Context) error {
			return new(event.Event).Wait(ctx)
		})
		if !errors.Is(err, gevent.ErrLoopExit) {
			t.Errorf("Run = %v, want ErrLoopExit despite an unserved hub with greenlets", err)
		}
	})
	runtime.KeepAlive(idle)
}

// Hold makes outside work visible to the hub; its release lets ErrLoopExit
// come back; the message of ErrLoopExit says what to use (issue 10, item
// 12).
func TestHoldAndHubAfterFunc(t *testing.T) {
	runWithin(t, 10*time.Second, func() {
		geventtest.Run(t, func(ctx context.Context) error {
			var ar event.AsyncResult[int]
			start := make(chan struct{})
			release := gevent.Hold(ctx)
			go func() {
				defer release()
				<-start
				ar.Set(42)
			}()
			close(start)
			if v, err := ar.Get(ctx); v != 42 || err != nil {
				t.Errorf("Get = %v, %v; want 42, nil", v, err)
			}
			release() // a second call does nothing
			err := new(event.Event).Wait(ctx)
			if !errors.Is(err, gevent.ErrLoopExit) || !strings.Contains(err.Error(), "gevent.Hold") {
				t.Errorf("wait after the release = %v, want ErrLoopExit naming gevent.Hold", err)
			}

			var fired event.Event
			gevent.AfterFunc(ctx, time.Millisecond, fired.Set)
			if err := fired.Wait(ctx); err != nil {
				t.Errorf("wait for the hub AfterFunc = %v, want nil (its timer keeps the hub)", err)
			}
			ran := false
			stop := gevent.AfterFunc(ctx, time.Hour, func() { ran = true })
			if !stop() || stop() {
				t.Error("stop = false on an armed timer, or true twice")
			}
			gevent.Yield(ctx)
			if ran {
				t.Error("a stopped AfterFunc ran")
			}
			return nil
		})
	})
}

// Durations near math.MaxInt64 make timers that never fire; every other
// timer of the hub keeps working (issue 10, item 1).
func TestExtremeDurationsDoNotFreezeTheHub(t *testing.T) {
	const huge = time.Duration(math.MaxInt64)
	runWithin(t, 10*time.Second, func() {
		geventtest.Run(t, func(ctx context.Context) error {
			sleeper := gevent.Go(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, huge) })
			tctx, cancel := gevent.WithTimeout(ctx, huge)
			defer cancel()
			tm := gevent.NewTimeout(huge, nil)
			tm.Start(ctx)
			defer tm.Cancel()
			later := gevent.SpawnLater(ctx, huge, func(context.Context) (int, error) { return 0, nil })
			startLater := gevent.New(ctx, func(context.Context) (int, error) { return 0, nil })
			startLater.StartLater(huge)
			gevent.Yield(ctx)
			// Every timer above sorts last; a short sleep still ends.
			if err := gevent.Sleep(tctx, time.Millisecond); err != nil {
				t.Errorf("Sleep beside near-maximum timers = %v", err)
			}
			if later.Ready() || startLater.Ready() || tctx.Err() != nil {
				t.Error("a near-maximum timer fired")
			}
			kctx, cancel := gevent.WithTimeout(ctx, huge)
			sleeper.Kill(kctx)
			cancel()
			later.Kill(ctx)
			startLater.Kill(ctx)
			return nil
		}, gevent.WithSwitchInterval(huge))
	})
}
