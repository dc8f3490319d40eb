package main

import "fmt"

// Kinds of implementation measured in a row.
const (
	kindGevent = "gevent" // gevent's Python script
	kindOurs   = "ours"   // this library's Go benchmark
	kindRaw    = "raw"    // the raw-Go floor of the same shape
	kindPeer   = "peer"   // a Go library users would pick instead
)

// goBench names one Go benchmark: the test binary it lives in (a package of
// the library's module, or the bench/peers module) and its function name.
type goBench struct {
	pkg  string // key of testBinaries
	name string // without the "Benchmark" prefix
}

func (g goBench) String() string { return g.pkg + ".Benchmark" + g.name }

// impl is one column of a row: who runs the op, and how.
type impl struct {
	id    string // stable key in the JSON: gevent, ours, raw, errgroup, ...
	label string // column or legend label
	kind  string
	bench goBench // Go benchmark; zero for gevent
}

// budget is docs/design.md §8's target for this library on a row: a ratio
// of costs measured in the same run, ours ÷ raw Go (the "ours ÷ raw Go"
// column), so that it means the same on every machine. The zero budget is
// none.
type budget struct {
	// limit is the highest ours ÷ raw Go that meets the budget; 0: none.
	limit float64
	// belowPeers also requires ours to cost less than every Go peer of the
	// row that was measured.
	belowPeers bool
}

// atMost is a budget of ours ÷ raw Go ≤ limit.
func atMost(limit float64) budget { return budget{limit: limit} }

// text is the budget as the report's budget column shows it.
func (b budget) text() string {
	switch {
	case b.limit == 0:
		return ""
	case b.belowPeers:
		return fmt.Sprintf("≤ %.1fx, below every Go peer", b.limit)
	}
	return fmt.Sprintf("≤ %.1fx", b.limit)
}

// row is one line of bench/gevent/README.md: one op, measured by gevent
// running the row's script, by this library's Go benchmark, by its raw-Go floor and, for
// pool-shaped rows, by Go peers.
type row struct {
	name     string // gevent's JSON "bench" name
	op       string // what one op is, short
	unit     string // ns/op, bytes/greenlet or req/s (the Go metric has the same name)
	script   string // gevent script that emits it
	args     []string
	quickN   int // gevent's --n and the Go -benchtime Nx in quick mode
	rawShape string
	impls    []impl // ours and raw first, then peers
	budget   budget
	// fullBenchtime overrides -benchtime for the Go benchmarks of this row
	// in full mode.
	fullBenchtime string
}

// cost turns a figure into a cost (time or bytes per op), so that ratios
// read the same way on every row: above 1, the numerator is slower.
func (r *row) cost(v float64) float64 {
	if r.unit == "req/s" { // a rate: higher is better
		return 1 / v
	}
	return v
}

func oursRaw(pkg, ours, raw string) []impl {
	return []impl{
		{id: kindOurs, label: "gevent-go", kind: kindOurs, bench: goBench{pkg, ours}},
		{id: kindRaw, label: "raw Go", kind: kindRaw, bench: goBench{pkg, raw}},
	}
}

// poolPeers are the Go libraries users pick for a bounded worker pool; their
// benchmarks live in the bench/peers module so the library keeps no
// dependencies.
var poolPeers = []impl{
	{id: "errgroup", label: "errgroup", kind: kindPeer, bench: goBench{peersPkg, "PoolMapErrgroup"}},
	{id: "conc", label: "conc", kind: kindPeer, bench: goBench{peersPkg, "PoolMapConc"}},
	{id: "ants", label: "ants", kind: kindPeer, bench: goBench{peersPkg, "PoolMapAnts"}},
	{id: "pond", label: "pond", kind: kindPeer, bench: goBench{peersPkg, "PoolMapPond"}},
}

// peerModules are the modules of poolPeers, for the versions in the report.
var peerModules = map[string]string{
	"errgroup": "golang.org/x/sync",
	"conc":     "github.com/sourcegraph/conc",
	"ants":     "github.com/panjf2000/ants/v2",
	"pond":     "github.com/alitto/pond/v2",
}

// rows are bench/gevent/README.md's rows, in its order, with
// docs/design.md §8's budgets.
var rows = []row{
	{
		name: "spawn_join", op: "spawn + run + join, 100k spawned then joined", unit: "ns/op",
		script: "spawn_join.py", quickN: 10_000, rawShape: "`go` + `sync.WaitGroup`",
		impls: oursRaw(".", "SpawnJoin", "SpawnJoinRawGo"), budget: atMost(0.6),
		fullBenchtime: gevent100k,
	},
	{
		name: "sleep0_switch", op: "`Sleep(0)`/`Yield` switch", unit: "ns/op",
		script: "sleep0_switch.py", quickN: 20_000, rawShape: "`runtime.Gosched`",
		impls: oursRaw(".", "Sleep0Switch", "Sleep0SwitchRawGosched"), budget: atMost(1.0),
	},
	{
		name: "event_pingpong", op: "Event ping-pong round trip", unit: "ns/op",
		script: "event_pingpong.py", quickN: 10_000, rawShape: "unbuffered channel round trip",
		impls: oursRaw("event", "EventPingpong", "EventPingpongRawChan"), budget: atMost(0.9),
	},
	{
		name: "queue_pingpong", op: "Queue(1) ping-pong round trip", unit: "ns/op",
		script: "queue_pingpong.py", args: []string{"--only", "queue_pingpong"}, quickN: 10_000,
		rawShape: "capacity-1 channel round trip",
		impls:    oursRaw("queue", "QueuePingpong", "QueuePingpongRawChan"), budget: atMost(0.9),
	},
	{
		name: "channel_pingpong", op: "Channel ping-pong round trip", unit: "ns/op",
		script: "queue_pingpong.py", args: []string{"--only", "channel_pingpong"}, quickN: 10_000,
		rawShape: "unbuffered channel round trip",
		impls:    oursRaw("queue", "ChannelPingpong", "ChannelPingpongRawChan"), budget: atMost(0.9),
	},
	{
		name: "timeout_start_cancel", op: "Timeout start + cancel (reused)", unit: "ns/op",
		script: "timeout_start_cancel.py", args: []string{"--only", "timeout_start_cancel"}, quickN: 50_000,
		rawShape: "`Timer.Reset` + `Stop`",
		impls:    oursRaw(".", "TimeoutStartCancel", "TimeoutStartCancelRawTimer"), budget: atMost(0.8),
	},
	{
		name: "timeout_with_block", op: "new Timeout, start, cancel (`with Timeout`)", unit: "ns/op",
		script: "timeout_start_cancel.py", args: []string{"--only", "timeout_with_block"}, quickN: 50_000,
		rawShape: "`time.AfterFunc` + `Stop`",
		impls:    oursRaw(".", "TimeoutWithBlock", "TimeoutWithBlockRawAfterFunc"),
		// docs/design.md §8 sets no budget for this row.
	},
	{
		name: "sleep_timers", op: "100k distinct short sleeps", unit: "ns/op",
		script: "sleep_timers.py", quickN: 10_000, rawShape: "a goroutine per op in `time.Sleep`",
		impls: oursRaw(".", "SleepTimers", "SleepTimersRawGo"), budget: atMost(1.1),
		fullBenchtime: gevent100k,
	},
	{
		name: "pool_map", op: "`Pool(100).map`, per item", unit: "ns/op",
		script: "pool_map.py", quickN: 10_000, rawShape: "a goroutine per item, semaphore channel of 100",
		impls: append(oursRaw("pool", "PoolMap", "PoolMapRawGo"), poolPeers...), budget: budget{limit: 0.8, belowPeers: true},
		fullBenchtime: gevent100k,
	},
	{
		name: "memory_parked", op: "memory per parked greenlet (VmRSS)", unit: "bytes/greenlet",
		script: "memory_parked.py", quickN: 10_000, rawShape: "a goroutine parked on a channel",
		impls: oursRaw("event", "MemoryParked", "MemoryParkedRawGo"), budget: atMost(1.1),
		// One measurement per fresh process, with gevent's N.
		fullBenchtime: gevent100k,
	},
	{
		name: "echo_server", op: "echo server, 50 clients in-process, 64 B", unit: "req/s",
		script: "echo_server.py", quickN: 2_000, rawShape: "goroutine per connection on both ends, `net`",
		impls:         oursRaw("server", "EchoServerStream", "EchoServerStreamRawGo"),
		budget:        atMost(1.0), // in cost: at least raw Go's throughput
		fullBenchtime: "5s",        // gevent's window
	},
}

// gevent100k is the -benchtime of rows whose op keeps up to 100,000
// greenlets alive: exactly gevent's N, in one timed batch after the same
// untimed warm-up of N/10, as its script does. A time-based -benchtime
// would mix the first (cold) batch with warm ones in varying proportions.
const gevent100k = "100000x"

// benchtimeExceptions says which rows set fullBenchtime, and why.
const benchtimeExceptions = "spawn_join, sleep_timers and pool_map run exactly gevent's N (100000x: " +
	"one timed batch after an untimed N/10 warm-up and a GC, as gevent's scripts do), " +
	"memory_parked too (one measurement per process), echo_server 5s (gevent's window)"

// geventImpl is the gevent column of every row.
var geventImpl = impl{id: kindGevent, label: "gevent", kind: kindGevent}
