package gevent_test

// Benchmarks named after the rows of bench/gevent/README.md, each measuring
// exactly that row's op, with a raw-Go baseline of the same shape beside it
// (suffix Raw...). Quote them with GOMAXPROCS=1 (-cpu 1), like gevent's one
// thread; cmd/geventbench runs them next to gevent's scripts.

import (
	"context"
	"iter"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/benchbatch"
)

// batch is the number of greenlets alive at once in the spawn benchmarks,
// as in gevent's scripts (N = 100,000 spawned before the join).
const batch = 100_000

// runBench runs body as the main greenlet of a fresh hub.
func runBench(b *testing.B, body func(ctx context.Context)) {
	b.Helper()
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		body(ctx)
		return nil
	}, benchHubOptions...)
	if err != nil {
		b.Fatal(err)
	}
}

// spawn_join: Spawn(noop) + the greenlet running to its end + its share of
// one JoinAll over the batch; ns per greenlet.
func BenchmarkSpawnJoin(b *testing.B) {
	b.ReportAllocs()
	runBench(b, func(ctx context.Context) {
		tasks := make([]gevent.Task, 0, min(b.N, batch))
		benchbatch.Run(b, batch, func(n int) {
			tasks = tasks[:0]
			for range n {
				tasks = append(tasks, gevent.Spawn(ctx, noop))
			}
			if _, err := gevent.JoinAll(ctx, tasks); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// The raw-Go shape of spawn_join: a goroutine per op, all started before one
// WaitGroup.Wait.
func BenchmarkSpawnJoinRawGo(b *testing.B) {
	b.ReportAllocs()
	var wg sync.WaitGroup
	benchbatch.Run(b, batch, func(n int) {
		wg.Add(n)
		for range n {
			go wg.Done()
		}
		wg.Wait()
	})
}

// sleep0_switch: two greenlets each Yield b.N/2 times, alternating through
// the hub; the main greenlet waits in JoinAll.
func BenchmarkSleep0Switch(b *testing.B) {
	b.ReportAllocs()
	runBench(b, func(ctx context.Context) {
		body := func(ctx context.Context) error {
			for range b.N / 2 {
				if err := gevent.Yield(ctx); err != nil {
					return err
				}
			}
			return nil
		}
		b.ResetTimer()
		x := gevent.Go(ctx, body)
		y := gevent.Go(ctx, body)
		if _, err := gevent.JoinAll(ctx, []gevent.Task{x, y}); err != nil {
			b.Fatal(err)
		}
	})
}

// The raw-Go shape of sleep0_switch: two goroutines each calling
// runtime.Gosched b.N/2 times (they alternate with GOMAXPROCS=1).
func BenchmarkSleep0SwitchRawGosched(b *testing.B) {
	b.ReportAllocs()
	var wg sync.WaitGroup
	wg.Add(2)
	for range 2 {
		go func() {
			defer wg.Done()
			for range b.N / 2 {
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
}

// The floor of sleep0_switch on this machine (design §8): a minimal
// loop resuming two bare iter.Pull coroutines alternately, each yielding
// once per resume; no queue, timers or cancellation. Two coroutine switches
// per op, like a Yield through the hub.
func BenchmarkSleep0SwitchFloorPull(b *testing.B) {
	mk := func() (func() (struct{}, bool), func()) {
		return iter.Pull(func(yield func(struct{}) bool) {
			for yield(struct{}{}) {
			}
		})
	}
	n1, s1 := mk()
	n2, s2 := mk()
	defer s1()
	defer s2()
	next := [2]func() (struct{}, bool){n1, n2}
	b.ResetTimer()
	for i := range b.N {
		next[i&1]()
	}
}

// timeout_start_cancel: Start + Cancel of one reused 60 s Timeout on the
// hub; it never expires.
func BenchmarkTimeoutStartCancel(b *testing.B) {
	b.ReportAllocs()
	runBench(b, func(ctx context.Context) {
		t := gevent.NewTimeout(60*time.Second, nil)
		for b.Loop() {
			t.Start(ctx)
			t.Cancel()
		}
	})
}

// The raw-Go shape of timeout_start_cancel: Reset + Stop of one time.Timer.
func BenchmarkTimeoutStartCancelRawTimer(b *testing.B) {
	b.ReportAllocs()
	t := time.NewTimer(time.Hour)
	t.Stop()
	for b.Loop() {
		t.Reset(60 * time.Second)
		t.Stop()
	}
}

// timeout_with_block: gevent's `with Timeout(60): pass` — a new Timeout
// each op, started and cancelled.
func BenchmarkTimeoutWithBlock(b *testing.B) {
	b.ReportAllocs()
	runBench(b, func(ctx context.Context) {
		for b.Loop() {
			t := gevent.NewTimeout(60*time.Second, nil)
			t.Start(ctx)
			t.Cancel()
		}
	})
}

// The raw-Go shape of timeout_with_block: time.AfterFunc + Stop.
func BenchmarkTimeoutWithBlockRawAfterFunc(b *testing.B) {
	b.ReportAllocs()
	f := func() {}
	for b.Loop() {
		time.AfterFunc(60*time.Second, f).Stop()
	}
}

// The Go idiom of a timeout in a greenlet: gevent.WithTimeout and its
// cancel function, each op. The cancel records context.Canceled without
// allocating (core's cause codes): 2 allocations and 256 B an op, against
// context.WithTimeout's 4 and 272 B.
func BenchmarkWithTimeoutCancel(b *testing.B) {
	b.ReportAllocs()
	runBench(b, func(ctx context.Context) {
		for b.Loop() {
			_, cancel := gevent.WithTimeout(ctx, 60*time.Second)
			cancel()
		}
	})
}

// The raw-Go shape of BenchmarkWithTimeoutCancel: context.WithTimeout and
// its cancel function.
func BenchmarkWithTimeoutCancelRawContext(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		_, cancel := context.WithTimeout(ctx, 60*time.Second)
		cancel()
	}
}

// sleepDurations returns the batch's sleep durations: greenlet k sleeps
// 1ms*(p(k)+1)/100000 for a permutation p shuffled with seed 1, so the N
// durations are distinct and the longest is 1 ms.
func sleepDurations() []time.Duration {
	r := rand.New(rand.NewPCG(1, 1))
	ds := make([]time.Duration, batch)
	for k, p := range r.Perm(batch) {
		ds[k] = time.Millisecond * time.Duration(p+1) / batch
	}
	return ds
}

// sleep_timers: batches of 100,000 greenlets, each sleeping its distinct
// duration, then JoinAll; ns per greenlet.
func BenchmarkSleepTimers(b *testing.B) {
	b.ReportAllocs()
	ds := sleepDurations()
	runBench(b, func(ctx context.Context) {
		tasks := make([]gevent.Task, 0, min(b.N, batch))
		benchbatch.Run(b, batch, func(n int) {
			tasks = tasks[:0]
			for k := range n {
				d := ds[k]
				tasks = append(tasks, gevent.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
					return struct{}{}, gevent.Sleep(ctx, d)
				}))
			}
			if _, err := gevent.JoinAll(ctx, tasks); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// The raw-Go shape of sleep_timers: a goroutine per op calling time.Sleep.
func BenchmarkSleepTimersRawGo(b *testing.B) {
	b.ReportAllocs()
	ds := sleepDurations()
	var wg sync.WaitGroup
	benchbatch.Run(b, batch, func(n int) {
		wg.Add(n)
		for k := range n {
			go func() {
				defer wg.Done()
				time.Sleep(ds[k])
			}()
		}
		wg.Wait()
	})
}

// The floor of sleep_timers on this machine (DESIGN.md §8): the same batch
// shape on a minimal loop with none of the library's bookkeeping: a
// handle of a greenlet's size allocated per op, reused iter.Pull
// coroutines, one FIFO of starts cut every 5 ms as the hub's drain is, a
// binary heap of (deadline, handle) read on one clock, and the sleeper
// resumed from the timer pass. Four coroutine switches and a heap push and
// pop per op; no locks, atomics, contexts, cancellation or joins.
func BenchmarkSleepTimersFloorPull(b *testing.B) {
	b.ReportAllocs()
	ds := sleepDurations()
	type handle struct {
		d    time.Duration
		when int64
		co   *floorCoro
		_    [200]byte // a greenlet handle's size
	}
	base := time.Now()
	now := func() int64 { return int64(time.Since(base)) }
	var (
		free   []*floorCoro
		timers []*handle // binary min-heap by when
		cur    *handle
	)
	push := func(t *handle) {
		timers = append(timers, t)
		for i := len(timers) - 1; i > 0; {
			p := (i - 1) / 2
			if timers[p].when <= timers[i].when {
				break
			}
			timers[p], timers[i] = timers[i], timers[p]
			i = p
		}
	}
	pop := func() *handle {
		t := timers[0]
		n := len(timers) - 1
		timers[0] = timers[n]
		timers[n] = nil
		timers = timers[:n]
		for i := 0; ; {
			l := 2*i + 1
			if l >= n {
				break
			}
			m := l
			if r := l + 1; r < n && timers[r].when < timers[l].when {
				m = r
			}
			if timers[i].when <= timers[m].when {
				break
			}
			timers[i], timers[m] = timers[m], timers[i]
			i = m
		}
		return t
	}
	body := func(yield func(struct{}) bool) {
		for {
			h := cur
			h.when = now() + int64(h.d) // Sleep: arm, park
			push(h)
			if !yield(struct{}{}) {
				return
			}
			h.co = nil // ended: the loop takes the coroutine back
			if !yield(struct{}{}) {
				return
			}
		}
	}
	resume := func(h *handle) {
		if h.co == nil {
			if n := len(free); n > 0 {
				h.co = free[n-1]
				free = free[:n-1]
			} else {
				h.co = &floorCoro{}
				h.co.next, h.co.stop = iter.Pull(body)
			}
		}
		c := h.co
		cur = h
		c.next()
		if h.co == nil {
			free = append(free, c)
		}
	}
	defer func() {
		for _, c := range free {
			c.stop()
		}
	}()
	runq := make([]*handle, 0, batch)
	benchbatch.Run(b, batch, func(n int) {
		for k := range n {
			runq = append(runq, &handle{d: ds[k]})
		}
		for left := n; left > 0; {
			start := now()
			for i := 0; i < len(runq); i++ {
				resume(runq[i])
				runq[i] = nil
				if i&63 == 63 && now()-start > int64(5*time.Millisecond) {
					runq = runq[:copy(runq, runq[i+1:])]
					break
				}
				if i == len(runq)-1 {
					runq = runq[:0]
				}
			}
			if len(runq) == 0 && len(timers) > 0 {
				if d := timers[0].when - now(); d > 0 {
					time.Sleep(time.Duration(d))
				}
			}
			for t := now(); len(timers) > 0 && timers[0].when <= t; left-- {
				resume(pop())
			}
		}
	})
}

type floorCoro struct {
	next func() (struct{}, bool)
	stop func()
}
