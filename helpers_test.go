package gevent_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
)

// quiet is an error handler for tests whose greenlets fail on purpose.
func quiet() gevent.HubOption { return gevent.WithErrorHandler(func(gevent.Task, error) {}) }

// errorLog records every report of a hub's error handler.
type errorLog struct {
	mu      sync.Mutex
	tasks   []gevent.Task
	errs    []error
	reports int
}

func (l *errorLog) option() gevent.HubOption {
	return gevent.WithErrorHandler(func(t gevent.Task, err error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.tasks = append(l.tasks, t)
		l.errs = append(l.errs, err)
		l.reports++
	})
}

func (l *errorLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reports
}

// logger is a concurrency-safe list of events.
type logger struct {
	mu    sync.Mutex
	items []string
}

func (l *logger) add(format string, args ...any) {
	l.mu.Lock()
	l.items = append(l.items, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *logger) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.items)
}

func (l *logger) check(t *testing.T, want ...string) {
	t.Helper()
	if got := l.get(); !slices.Equal(got, want) {
		t.Errorf("log = %q, want %q", got, want)
	}
}

// yieldUntil yields the calling greenlet until cond holds, at most n times,
// and reports whether it held. It is how a test waits for work queued on the
// hub (link notifications, started greenlets) without sleeping.
func yieldUntil(ctx context.Context, n int, cond func() bool) bool {
	for range n {
		if cond() {
			return true
		}
		if err := gevent.Yield(ctx); err != nil {
			return false
		}
	}
	return cond()
}

// mustPanic calls f and checks that it panics with a message that starts
// with "gevent:" and contains every word of want.
func mustPanic(t *testing.T, name string, f func(), want ...string) {
	t.Helper()
	var msg string
	func() {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			msg = fmt.Sprint(r)
			if msg == "" {
				msg = "<empty panic>"
			}
		}()
		f()
	}()
	if msg == "" {
		t.Errorf("%s did not panic", name)
		return
	}
	if !strings.HasPrefix(msg, "gevent:") {
		t.Errorf("%s panicked with %q, want a message starting with \"gevent:\"", name, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("%s panicked with %q, want it to mention %q", name, msg, w)
		}
	}
}

// stableNumGoroutine returns runtime.NumGoroutine once it has stopped
// changing (goroutines that are ending need a moment), as iter's tests do.
func stableNumGoroutine() int {
	n := runtime.NumGoroutine()
	for stable := 0; stable < 20; {
		runtime.Gosched()
		time.Sleep(time.Millisecond) // not synchronisation: lets exiting goroutines finish
		if m := runtime.NumGoroutine(); m != n {
			n = m
			stable = 0
			continue
		}
		stable++
	}
	return n
}

// flag is a user-defined Waitable (gevent's rawlink protocol): it counts the
// callbacks registered on it that are still pending, which is how the tests
// observe that Wait/Iwait/JoinAll leave nothing behind.
type flag struct {
	mu    sync.Mutex
	ready bool
	next  int
	cbs   map[int]func()
}

func (f *flag) Ready() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ready
}

func (f *flag) OnReady(fn func()) func() bool {
	f.mu.Lock()
	if f.ready {
		f.mu.Unlock()
		fn()
		return func() bool { return false }
	}
	if f.cbs == nil {
		f.cbs = make(map[int]func())
	}
	id := f.next
	f.next++
	f.cbs[id] = fn
	f.mu.Unlock()
	return func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		_, ok := f.cbs[id]
		delete(f.cbs, id)
		return ok
	}
}

// Set makes the flag ready and calls the pending callbacks in registration
// order.
func (f *flag) Set() {
	f.mu.Lock()
	f.ready = true
	cbs := f.cbs
	f.cbs = nil
	f.mu.Unlock()
	ids := make([]int, 0, len(cbs))
	for id := range cbs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		cbs[id]()
	}
}

// pending is the number of registered callbacks not yet called or removed.
func (f *flag) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.cbs)
}

// sleeper is a greenlet body that sleeps for an hour (until killed) and
// returns the error of its Sleep.
func sleeper(ctx context.Context) (struct{}, error) {
	return struct{}{}, gevent.Sleep(ctx, time.Hour)
}

func noop(context.Context) (struct{}, error) { return struct{}{}, nil }

// serveHub creates a hub, serves it on a goroutine and stops it (and waits
// for Serve to return) when the test ends.
func serveHub(t *testing.T, opts ...gevent.HubOption) *gevent.Hub {
	t.Helper()
	h := gevent.NewHub(opts...)
	done := make(chan error, 1)
	go func() { done <- h.Serve(context.Background()) }()
	t.Cleanup(func() {
		h.Stop()
		if err := <-done; err != nil {
			t.Errorf("Serve = %v, want nil after Stop", err)
		}
	})
	return h
}
