package gevent_test

import (
	"testing"
	"time"

	"github.com/gevent-go/gevent"
)

// benchHubOptions configure runBench's hub: the ...Monitor variants below
// run the same benchmark with a stall monitor on (benchmarks run one at a
// time, so a package variable is enough).
var benchHubOptions []gevent.HubOption

// withMonitor runs bench with the stall monitor that geventtest.Run uses
// (threshold 1s, tick 100ms): its cost is one atomic load per switch and
// one acknowledgement per tick. Compare with the plain benchmark,
// interleaved (docs/performance.md).
func withMonitor(b *testing.B, bench func(*testing.B)) {
	benchHubOptions = []gevent.HubOption{gevent.WithStallMonitor(time.Second)}
	defer func() { benchHubOptions = nil }()
	bench(b)
}

func BenchmarkSleep0SwitchMonitor(b *testing.B) { withMonitor(b, BenchmarkSleep0Switch) }

func BenchmarkSpawnJoinMonitor(b *testing.B) { withMonitor(b, BenchmarkSpawnJoin) }

func BenchmarkSleepTimersMonitor(b *testing.B) { withMonitor(b, BenchmarkSleepTimers) }
