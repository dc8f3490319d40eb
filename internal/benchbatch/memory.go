package benchbatch

import (
	"context"
	"iter"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
)

// The memory_parked shapes, shared by the row's benchmarks (package event)
// and the growth section's (root): the growth of the process's VmRSS per
// waiter parked, reported as bytes/greenlet. A figure means something only
// as the first measurement of a fresh process (freed goroutine stacks are
// reused within a process).

// MemoryParked parks n greenlets of a fresh hub in one event.Event.Wait and
// reports the VmRSS growth per greenlet.
func MemoryParked(b *testing.B, n int) {
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		var ev event.Event
		started := 0
		body := func(ctx context.Context) (struct{}, error) {
			started++
			return struct{}{}, ev.Wait(ctx)
		}
		runtime.GC()
		before := rss(b)
		tasks := make([]gevent.Task, n)
		for i := range tasks {
			tasks[i] = gevent.Spawn(ctx, body)
		}
		for started < n { // until every greenlet has run and parked
			if err := gevent.Yield(ctx); err != nil {
				return err
			}
		}
		runtime.GC()
		reportRSS(b, before, n)
		ev.Set()
		_, err := gevent.JoinAll(ctx, tasks, gevent.RaiseError())
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// MemoryParkedRawGo is the raw-Go shape of MemoryParked: n goroutines
// parked receiving from one channel.
func MemoryParkedRawGo(b *testing.B, n int) {
	release := make(chan struct{})
	var started, done sync.WaitGroup
	started.Add(n)
	done.Add(n)
	runtime.GC()
	before := rss(b)
	for range n {
		go func() {
			defer done.Done()
			started.Done()
			<-release
		}()
	}
	started.Wait()
	runtime.Gosched() // let the last goroutines reach the receive
	runtime.GC()
	reportRSS(b, before, n)
	close(release)
	done.Wait()
}

// MemoryParkedFloorPull is the floor of MemoryParked for greenlets that
// are iter.Pull coroutines (design §8): n bare coroutines, each resumed once
// and parked in its yield, with no hub, handle or wait. Its VmRSS growth per
// coroutine is what the execution model costs before the library adds
// anything: the goroutine, its stack and iter.Pull's own state.
func MemoryParkedFloorPull(b *testing.B, n int) {
	stops := make([]func(), n) // made before the first reading: not per coroutine
	runtime.GC()
	before := rss(b)
	for i := range stops {
		next, stop := iter.Pull(func(yield func(struct{}) bool) {
			yield(struct{}{})
		})
		next() // the coroutine runs to its yield and parks there
		stops[i] = stop
	}
	runtime.GC()
	reportRSS(b, before, n)
	for _, stop := range stops {
		stop()
	}
}

func reportRSS(b *testing.B, before int64, n int) {
	b.ReportMetric(float64(rss(b)-before)/float64(n), "bytes/greenlet")
}

// rss returns VmRSS from /proc/self/status in bytes; without it the
// benchmark is skipped.
func rss(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skipf("memory_parked reads /proc/self/status: %v", err)
	}
	for line := range strings.Lines(string(data)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmRSS line in /proc/self/status")
	return 0
}
