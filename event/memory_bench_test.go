package event_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
)

// memoryParkedMax caps how many greenlets the memory_parked benchmarks park
// at once: gevent's N. A default -bench run ramps b.N far beyond it and
// would otherwise park millions.
const memoryParkedMax = 100_000

// BenchmarkMemoryParked is gevent's memory_parked row: the growth of the
// process's VmRSS per greenlet parked in one Event.Wait, reported as
// bytes/greenlet. It means something only as the first measurement of a
// fresh process (freed goroutine stacks are reused within a process), with
// -benchtime 100000x: cmd/geventbench runs it that way. b.N above 100,000
// parks 100,000.
func BenchmarkMemoryParked(b *testing.B) {
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		var ev event.Event
		started := 0
		body := func(ctx context.Context) (struct{}, error) {
			started++
			return struct{}{}, ev.Wait(ctx)
		}
		n := min(b.N, memoryParkedMax)
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

// BenchmarkMemoryParkedRawGo is the raw-Go shape of memory_parked: VmRSS
// growth per goroutine parked on one channel.
func BenchmarkMemoryParkedRawGo(b *testing.B) {
	n := min(b.N, memoryParkedMax)
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

func reportRSS(b *testing.B, before int64, n int) {
	b.ReportMetric(float64(rss(b)-before)/float64(n), "bytes/greenlet")
}

// rss returns VmRSS from /proc/self/status in bytes.
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
