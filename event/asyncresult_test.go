package event_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
)

func TestAsyncResultZeroValue(t *testing.T) {
	var r event.AsyncResult[int]
	if v, ok := r.TryGet(); ok || v != 0 || r.Err() != nil {
		t.Fatalf("TryGet() = %v, %v (Err %v); want 0, false (nil)", v, ok, r.Err())
	}
	if r.Ready() || r.Successful() || r.Value() != 0 || r.Err() != nil {
		t.Fatal("zero AsyncResult is not empty")
	}
	r.Set(7)
	if v, ok := r.TryGet(); !ok || v != 7 || r.Err() != nil {
		t.Fatalf("TryGet() = %v, %v (Err %v); want 7, true (nil)", v, ok, r.Err())
	}
	if !r.Ready() || !r.Successful() || r.Value() != 7 {
		t.Fatal("Ready/Successful/Value wrong after Set")
	}
	// A later SetError does not replace a value: gevent's get returns a
	// stored value first (TestAsyncResultValueWinsOverLaterError).
	errBoom := errors.New("boom")
	r.SetError(errBoom)
	if v, ok := r.TryGet(); !ok || v != 7 || r.Err() != nil {
		t.Fatalf("TryGet() after SetError = %v, %v (Err %v); want 7, true (nil)", v, ok, r.Err())
	}
	if !r.Successful() || r.Value() != 7 {
		t.Fatal("Successful/Value wrong after SetError")
	}
	// Set may overwrite, as in gevent.
	r.Set(8)
	if v, err := r.Get(context.Background()); v != 8 || err != nil {
		t.Fatalf("Get() = %v, %v; want 8, nil", v, err)
	}
}

func TestAsyncResultSetErrorNilPanics(t *testing.T) {
	var r event.AsyncResult[int]
	defer func() {
		if p := recover(); !startsWithGevent(p) {
			t.Fatalf("SetError(nil) panic = %v, want a gevent: panic", p)
		}
	}()
	r.SetError(nil)
}

// gevent's test_set_exc: a waiter in Get gets the stored error.
func TestAsyncResultGetWaits(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var r event.AsyncResult[string]
		errBoom := errors.New("boom")
		g := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			_, err := r.Get(ctx)
			return "caught", err
		})
		gevent.Yield(ctx)
		if g.Ready() {
			return errors.New("Get returned before a result was set")
		}
		r.SetError(errBoom)
		v, err := g.Get(ctx)
		if v != "" || err != errBoom { // a failed greenlet has no value
			return fmt.Errorf("waiter got %q, %v; want \"\", boom", v, err)
		}
		return nil
	})
}

// Wait reports only that a result is there, never the stored error.
func TestAsyncResultWaitIgnoresStoredError(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var r event.AsyncResult[int]
		g := gevent.Go(ctx, r.Wait)
		gevent.Yield(ctx)
		r.SetError(errors.New("boom"))
		if err := g.Join(ctx); err != nil {
			return err
		}
		if g.Err() != nil {
			return fmt.Errorf("Wait = %v, want nil", g.Err())
		}
		if err := r.Wait(ctx); err != nil {
			return fmt.Errorf("Wait on a ready result = %v, want nil", err)
		}
		return nil
	})
}

// gevent's test_set (timer interrupts get) and test_set_with_timeout
// (with_timeout's fallback value).
func TestAsyncResultGetTimeout(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		var r event.AsyncResult[int]
		tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		v, err := r.Get(tctx)
		if v != 0 || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, context.Cause(tctx)) {
			return fmt.Errorf("Get = %v, %v; want 0 and the context's Timeout", v, err)
		}
		got, err := gevent.WithTimeoutFallback(ctx, time.Millisecond, r.Get, -1)
		if got != -1 || err != nil {
			return fmt.Errorf("WithTimeoutFallback(Get) = %v, %v; want -1, nil", got, err)
		}
		if err := r.Wait(tctx); !errors.Is(err, context.Cause(tctx)) {
			return fmt.Errorf("Wait(expired) = %v, want the Timeout", err)
		}
		// The timed-out waiters left nothing behind: a result set now is
		// delivered to a new waiter.
		g := gevent.Spawn(ctx, r.Get)
		gevent.Yield(ctx)
		r.Set(3)
		if v, err := g.Get(ctx); v != 3 || err != nil {
			return fmt.Errorf("Get = %v, %v; want 3, nil", v, err)
		}
		return nil
	})
}

// gevent's TestAsyncResultAsLinkTarget.
func TestAsyncResultSetFrom(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		errBoom := errors.New("boom")
		for _, tc := range []struct {
			name       string
			fn         func(ctx context.Context) (int, error)
			kill       bool
			wantV      int
			wantErr    error
			successful bool
		}{
			{name: "value", fn: func(context.Context) (int, error) { return 1, nil }, wantV: 1, successful: true},
			{name: "error", fn: func(context.Context) (int, error) { return 1, errBoom }, wantErr: errBoom},
			{name: "killed", fn: func(ctx context.Context) (int, error) {
				return 0, gevent.Sleep(ctx, time.Hour)
			}, kill: true, wantErr: gevent.ErrGreenletExit, successful: true},
		} {
			var r, removed event.AsyncResult[int]
			g := gevent.Spawn(ctx, tc.fn)
			r.SetFrom(g)
			if !removed.SetFrom(g)() {
				return fmt.Errorf("%s: unlink() = false before the greenlet ended", tc.name)
			}
			if tc.kill {
				gevent.Yield(ctx)
				g.Kill(ctx)
			}
			v, err := r.Get(ctx)
			if v != tc.wantV || !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				return fmt.Errorf("%s: Get = %v, %v; want %v, %v", tc.name, v, err, tc.wantV, tc.wantErr)
			}
			if r.Successful() != tc.successful {
				return fmt.Errorf("%s: Successful() = %v, want %v", tc.name, r.Successful(), tc.successful)
			}
			if removed.Ready() {
				return fmt.Errorf("%s: an unlinked result was set", tc.name)
			}
		}
		// link_value / link_exception: only the matching outcome arrives.
		var onValue, onErr event.AsyncResult[int]
		g := gevent.Spawn(ctx, func(context.Context) (int, error) { return 5, nil })
		g.LinkValue(func(_ context.Context, g *gevent.Greenlet[int]) { onValue.Set(g.Value()) })
		g.LinkException(func(_ context.Context, g *gevent.Greenlet[int]) { onErr.SetError(g.Err()) })
		if v, err := onValue.Get(ctx); v != 5 || err != nil {
			return fmt.Errorf("LinkValue result = %v, %v", v, err)
		}
		gevent.Yield(ctx) // every link has run
		if onErr.Ready() {
			return errors.New("LinkException fired for a success")
		}
		return nil
	})
}

// gevent's TestAsyncResultCrossThread: a goroutine sets, a greenlet waits,
// and the other way round.
func TestAsyncResultCrossGoroutine(t *testing.T) {
	t.Run("goroutine sets", func(t *testing.T) {
		h := gevent.NewHub()
		served := make(chan error, 1)
		go func() { served <- h.Serve(context.Background()) }()
		var r event.AsyncResult[string]
		g := gevent.Spawn(h.Context(), r.Get)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Set("from main")
		}()
		v, err := g.Get(context.Background())
		wg.Wait()
		h.Stop()
		if v != "from main" || err != nil {
			t.Fatalf("Get = %q, %v", v, err)
		}
		if err := <-served; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("greenlet sets", func(t *testing.T) {
		var r event.AsyncResult[string]
		got := make(chan string, 1)
		go func() {
			v, _ := r.Get(context.Background())
			got <- v
		}()
		geventtest.Run(t, func(ctx context.Context) error {
			r.Set("from hub")
			return nil
		})
		if v := <-got; v != "from hub" {
			t.Fatalf("Get = %q", v)
		}
	})
}

// gevent's TestWait: gevent.Wait over Events and AsyncResults with count.
func TestAsyncResultWaitMany(t *testing.T) {
	for _, count := range []int{0, 1, 2} {
		t.Run(fmt.Sprint("count=", count), func(t *testing.T) {
			geventtest.Run(t, func(ctx context.Context) error {
				const n = 5
				events := make([]*event.Event, n)
				results := make([]*event.AsyncResult[int], n)
				var objs []gevent.Waitable
				for i := range n {
					events[i] = new(event.Event)
					objs = append(objs, events[i])
				}
				for i := range n {
					results[i] = new(event.AsyncResult[int])
					objs = append(objs, results[i])
				}
				sender := gevent.Go(ctx, func(ctx context.Context) error {
					for i := n - 1; i >= 0; i-- {
						if err := gevent.Yield(ctx); err != nil {
							return err
						}
						events[i].Set()
						if err := gevent.Yield(ctx); err != nil {
							return err
						}
						results[i].Set(i)
					}
					return nil
				})
				var opts []gevent.WaitOption // count 0 stands for gevent's count=None: all
				if count > 0 {
					opts = append(opts, gevent.Count(count))
				}
				got, err := gevent.Wait(ctx, objs, opts...)
				if err != nil {
					return err
				}
				want := 2 * n
				if count > 0 {
					want = count
				}
				if len(got) != want {
					return fmt.Errorf("Wait returned %d objects, want %d", len(got), want)
				}
				if got[0] != gevent.Waitable(events[n-1]) {
					return fmt.Errorf("first ready = %v, want the last event", got[0])
				}
				if (count == 0) != sender.Dead() {
					return fmt.Errorf("sender dead = %v with count %d", sender.Dead(), count)
				}
				sender.Kill(ctx)
				return nil
			})
		})
	}
}
