package gevent_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/internal/testutil"
	"github.com/gevent-go/gevent/lock"
	"github.com/gevent-go/gevent/pool"
)

// A Timeout or Hub that was not made by its constructor (a nil pointer, or
// a zero value) is misuse: it panics with a message naming the constructor,
// not with a nil dereference.
func TestZeroTimeoutAndHubPanicClearly(t *testing.T) {
	bg := context.Background()
	var nilT *gevent.Timeout
	var zeroT gevent.Timeout
	var zeroH gevent.Hub
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"nil Timeout.Start", func() { nilT.Start(bg) }},
		{"nil Timeout.Cancel", func() { nilT.Cancel() }},
		{"nil Timeout.Pending", func() { nilT.Pending() }},
		{"zero Timeout.Start", func() { zeroT.Start(bg) }},
		{"zero Timeout.Cancel", func() { zeroT.Cancel() }},
		{"zero Timeout.Pending", func() { zeroT.Pending() }},
		{"zero Hub.Context", func() { zeroH.Context() }},
		{"zero Hub.Serve", func() { zeroH.Serve(bg) }},
		{"zero Hub.Stop", func() { zeroH.Stop() }},
		{"zero Hub.ID", func() { zeroH.ID() }},
		{"zero Hub.Name", func() { zeroH.Name() }},
	} {
		got := testutil.PanicMessage(c.f)
		if !strings.HasPrefix(got, "gevent: ") || !strings.Contains(got, "New") {
			t.Errorf("%s: panic = %q, want a gevent: panic naming the constructor", c.name, got)
		}
	}
}

// Likewise a zero HubGroup, which has no hub to serve or to spawn on.
func TestZeroHubGroupPanicsClearly(t *testing.T) {
	var g gevent.HubGroup
	for name, f := range map[string]func(){
		"Context": func() { g.Context() },
		"Serve":   func() { g.Serve(context.Background()) },
	} {
		got := testutil.PanicMessage(f)
		if !strings.HasPrefix(got, "gevent: ") || !strings.Contains(got, "NewHubGroup") {
			t.Errorf("%s: panic = %q, want a gevent: panic naming NewHubGroup", name, got)
		}
	}
}

// Interleavings that gevent 22.10.2 prints for the same programs (each
// scenario's Python is in its comment; the want strings are gevent's
// output, in Go's formatting): pools, semaphores with barging, events,
// idle, and links mixed with rawlinks.
func TestGeventInterleavings(t *testing.T) {
	type scenario struct {
		name string
		want string
		run  func(ctx context.Context, add func(format string, a ...any)) error
	}
	square := func(add func(string, ...any)) func(ctx context.Context, n int) (int, error) {
		return func(ctx context.Context, n int) (int, error) {
			add("m%d", n)
			if err := gevent.Yield(ctx); err != nil {
				return 0, err
			}
			add("d%d", n)
			return n, nil
		}
	}
	for _, sc := range []scenario{{
		// p = Pool(2); for n in '1234': p.spawn(w, n); log('sp'+n)
		// (w: log('s'+n); sleep(0); log('e'+n)); p.join()
		"pool spawn", "sp1 sp2 s1 s2 e1 e2 sp3 sp4 s3 s4 e3 e4 joined",
		func(ctx context.Context, add func(string, ...any)) error {
			p := pool.NewPool(2)
			for _, n := range []string{"1", "2", "3", "4"} {
				if _, err := p.Spawn(ctx, func(ctx context.Context) error {
					add("s%s", n)
					gevent.Yield(ctx)
					add("e%s", n)
					return nil
				}); err != nil {
					return err
				}
				add("sp%s", n)
			}
			if err := p.Join(ctx); err != nil {
				return err
			}
			add("joined")
			return nil
		},
	}, {
		// Pool(2).map(m, range(4)) (m: log('m%d'); sleep(0); log('d%d'))
		"pool map", "m0 m1 d0 d1 m2 m3 d2 d3",
		func(ctx context.Context, add func(string, ...any)) error {
			_, err := pool.Map(ctx, pool.NewPool(2), slices.Values([]int{0, 1, 2, 3}), square(add))
			return err
		},
	}, {
		// for x in Pool(2).imap_unordered(m, range(4)): log('y%d' % x)
		"pool imap_unordered", "m0 m1 d0 d1 y0 y1 m2 m3 d2 d3 y2 y3",
		func(ctx context.Context, add func(string, ...any)) error {
			for x, err := range pool.ImapUnordered(ctx, pool.NewPool(2), slices.Values([]int{0, 1, 2, 3}), square(add)) {
				if err != nil {
					return err
				}
				add("y%d", x)
			}
			return nil
		},
	}, {
		// s = Semaphore(0); three waiters (log('w'+n); s.acquire();
		// log('got'+n); sleep(0); log('after'+n)); sleep(0); s.release();
		// s.release(); s.acquire(blocking=False) barges; then releases
		// with sleep(0) between (gevent logs its True as True).
		"semaphore barging", "w1 w2 w3 rel2 barge true got1 main1 rel3 after1 got2 main2 after2 got3 main3 after3",
		func(ctx context.Context, add func(string, ...any)) error {
			s := lock.NewSemaphore(0)
			for _, n := range []string{"1", "2", "3"} {
				gevent.Go(ctx, func(ctx context.Context) error {
					add("w%s", n)
					if err := s.Acquire(ctx); err != nil {
						return err
					}
					add("got%s", n)
					gevent.Yield(ctx)
					add("after%s", n)
					return nil
				})
			}
			gevent.Yield(ctx)
			s.Release()
			s.Release()
			add("rel2")
			add("barge %v", s.TryAcquire())
			gevent.Yield(ctx)
			add("main1")
			s.Release()
			add("rel3")
			gevent.Yield(ctx)
			add("main2")
			s.Release()
			s.Release()
			gevent.Yield(ctx)
			add("main3")
			return gevent.WaitHub(ctx)
		},
	}, {
		// two waiters (log('w'+n); e.wait(); log('woke'+n); sleep(0);
		// log('after'+n)); sleep(0); e.set(); log('set'); sleep(0); log('main')
		"event", "w1 w2 set woke1 woke2 main after1 after2",
		func(ctx context.Context, add func(string, ...any)) error {
			var e event.Event
			for _, n := range []string{"1", "2"} {
				gevent.Go(ctx, func(ctx context.Context) error {
					add("w%s", n)
					if err := e.Wait(ctx); err != nil {
						return err
					}
					add("woke%s", n)
					gevent.Yield(ctx)
					add("after%s", n)
					return nil
				})
			}
			gevent.Yield(ctx)
			e.Set()
			add("set")
			gevent.Yield(ctx)
			add("main")
			return gevent.WaitHub(ctx)
		},
	}, {
		// a: idle(); b: three sleep(0); c: sleep(0.05) (idle fires once nothing
		// else can run, before a timer that is not due yet)
		"idle", "a start b0 c start b1 b2 a wake c wake",
		func(ctx context.Context, add func(string, ...any)) error {
			gevent.Go(ctx, func(ctx context.Context) error {
				add("a start")
				if err := gevent.Idle(ctx); err != nil {
					return err
				}
				add("a wake")
				return nil
			})
			gevent.Go(ctx, func(ctx context.Context) error {
				for i := range 3 {
					add("b%d", i)
					gevent.Yield(ctx)
				}
				return nil
			})
			gevent.Go(ctx, func(ctx context.Context) error {
				add("c start")
				if err := gevent.Sleep(ctx, 50*time.Millisecond); err != nil {
					return err
				}
				add("c wake")
				return nil
			})
			return gevent.WaitHub(ctx)
		},
	}, {
		// g = spawn(log 'run'); rawlink r1 (which rawlinks r1-inner);
		// rawlink r2; link l1 (log, sleep(0), log; it links l1-inner);
		// joinall([g]); log('joined')
		"links", "run r1 r2 l1a joined r1-inner l1-inner l1b",
		func(ctx context.Context, add func(string, ...any)) error {
			g := gevent.Go(ctx, func(ctx context.Context) error { add("run"); return nil })
			g.RawLink(func(g *gevent.Greenlet[struct{}]) {
				add("r1")
				g.RawLink(func(*gevent.Greenlet[struct{}]) { add("r1-inner") })
			})
			g.RawLink(func(*gevent.Greenlet[struct{}]) { add("r2") })
			g.Link(func(ctx context.Context, g *gevent.Greenlet[struct{}]) {
				add("l1a")
				g.Link(func(context.Context, *gevent.Greenlet[struct{}]) { add("l1-inner") })
				gevent.Yield(ctx)
				add("l1b")
			})
			if _, err := gevent.JoinAll(ctx, []gevent.Task{g}); err != nil {
				return err
			}
			add("joined")
			return gevent.WaitHub(ctx)
		},
	}} {
		t.Run(sc.name, func(t *testing.T) {
			var log []string
			add := func(format string, a ...any) { log = append(log, fmt.Sprintf(format, a...)) }
			geventtest.Run(t, func(ctx context.Context) error { return sc.run(ctx, add) })
			if got := strings.Join(log, " "); got != sc.want {
				t.Errorf("got  %s\nwant %s (gevent 22.10.2)", got, sc.want)
			}
		})
	}
}

// SignalHandler with a nil signal is misuse (gevent raises TypeError for a
// bad signal number); signal.Notify would silently register nothing.
func TestSignalHandlerNilSigPanics(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		got := testutil.PanicMessage(func() { gevent.SignalHandler(ctx, nil, func(context.Context) {}) })
		if got != "gevent: SignalHandler: nil sig" {
			return fmt.Errorf("panic = %q, want %q", got, "gevent: SignalHandler: nil sig")
		}
		return nil
	})
}
