// Command benchcmp prints gevent's reference benchmarks and this module's Go
// benchmarks side by side, from one run on one machine.
//
// It runs gevent's scripts (bench/gevent/*.py of the shared folder, with
// /usr/bin/python3, each in fresh processes) and the Go benchmarks named after
// the same rows (go test -run '^$' -bench ... with GOMAXPROCS=1, in the root
// package and in event, queue, pool, socket and server when they exist), and
// measures memory_parked in fresh processes of itself. Then it prints, per
// row: gevent, ours, raw Go, the budget from DESIGN.md §8, and the cost
// ratios gevent/ours and ours/raw (above 1: the left one is slower). Rows whose
// Go benchmark does not exist yet are skipped. Values are medians of -count
// runs.
//
// Usage, from the module root:
//
//	go run ./cmd/benchcmp            # 3 runs each (a few minutes)
//	go run ./cmd/benchcmp -quick     # small workloads, 1 run: a smoke test
//	go run ./cmd/benchcmp -rows spawn_join,sleep0_switch -count 5
//
// The machine is shared: quote medians of several runs, not single runs.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
)

// row is one line of the report: a gevent benchmark and the Go benchmarks
// that measure the same op.
type row struct {
	name   string // gevent's JSON "bench" name
	script string // gevent script that emits it
	args   []string
	unit   string // ns/op, bytes/greenlet or req/s
	ours   string // Go benchmark (without the "Benchmark" prefix)
	raw    string // its raw-Go baseline
	budget string // DESIGN.md §8
	quickN int    // gevent --n with -quick
}

var rows = []row{
	{name: "spawn_join", script: "spawn_join.py", unit: "ns/op", ours: "SpawnJoin", raw: "SpawnJoinRawGo", budget: "300", quickN: 10000},
	{name: "sleep0_switch", script: "sleep0_switch.py", unit: "ns/op", ours: "Sleep0Switch", raw: "Sleep0SwitchRawGosched", budget: "100", quickN: 20000},
	{name: "event_pingpong", script: "event_pingpong.py", unit: "ns/op", ours: "EventPingpong", raw: "EventPingpongRawChan", budget: "250", quickN: 10000},
	{name: "queue_pingpong", script: "queue_pingpong.py", args: []string{"--only", "queue_pingpong"}, unit: "ns/op", ours: "QueuePingpong", raw: "QueuePingpongRawChan", budget: "250", quickN: 10000},
	{name: "channel_pingpong", script: "queue_pingpong.py", args: []string{"--only", "channel_pingpong"}, unit: "ns/op", ours: "ChannelPingpong", raw: "ChannelPingpongRawChan", budget: "250", quickN: 10000},
	{name: "timeout_start_cancel", script: "timeout_start_cancel.py", args: []string{"--only", "timeout_start_cancel"}, unit: "ns/op", ours: "TimeoutStartCancel", raw: "TimeoutStartCancelRawTimer", budget: "60", quickN: 50000},
	{name: "timeout_with_block", script: "timeout_start_cancel.py", args: []string{"--only", "timeout_with_block"}, unit: "ns/op", ours: "TimeoutWithBlock", raw: "TimeoutWithBlockRawAfterFunc", quickN: 50000},
	{name: "sleep_timers", script: "sleep_timers.py", unit: "ns/op", ours: "SleepTimers", raw: "SleepTimersRawGo", budget: "1600", quickN: 10000},
	{name: "pool_map", script: "pool_map.py", unit: "ns/op", ours: "PoolMap", raw: "PoolMapRawGo", budget: "500", quickN: 10000},
	{name: "memory_parked", script: "memory_parked.py", unit: "bytes/greenlet", ours: memOurs, raw: memRaw, budget: "3200", quickN: 10000},
	{name: "echo_server", script: "echo_server.py", unit: "req/s", ours: "EchoServerStream", raw: "EchoServerStreamRawGo", budget: ">= 0.9x raw", quickN: 2000},
}

// The memory_parked "benchmarks" are child processes of this command.
const (
	memOurs = "memparked:ours"
	memRaw  = "memparked:raw"
)

// goPackages are searched for the rows' Go benchmarks, relative to the
// module root.
var goPackages = []string{".", "./event", "./queue", "./pool", "./socket", "./server"}

func main() {
	var (
		geventDir = flag.String("gevent", "../shared/bench/gevent", "folder of gevent's scripts, relative to the module root (or absolute)")
		python    = flag.String("python", "/usr/bin/python3", "interpreter with python3-gevent")
		count     = flag.Int("count", 3, "runs of each benchmark (median reported)")
		benchtime = flag.String("benchtime", "200ms", "go test -benchtime")
		quick     = flag.Bool("quick", false, "small workloads and one run: a smoke test, not numbers to quote")
		only      = flag.String("rows", "", "comma-separated rows to run (default all)")
		noGevent  = flag.Bool("nogevent", false, "skip gevent's scripts")
		verbose   = flag.Bool("v", false, "print the commands and their raw output to stderr")
		child     = flag.String("memparked", "", "internal: measure memory_parked for `impl` (ours or raw) in this process")
		childN    = flag.Int("n", 100000, "internal: greenlets for -memparked")
	)
	flag.Parse()
	if *child != "" {
		if err := memParked(*child, *childN); err != nil {
			fatal(err)
		}
		return
	}
	if *quick {
		*count = 1
		*benchtime = "20ms"
	}
	root, err := moduleRoot()
	if err != nil {
		fatal(err)
	}
	selected := rows
	if *only != "" {
		want := strings.Split(*only, ",")
		selected = nil
		for _, r := range rows {
			if slices.Contains(want, r.name) {
				selected = append(selected, r)
			}
		}
	}
	c := &cmp{root: root, python: *python, count: *count, benchtime: *benchtime, quick: *quick, verbose: *verbose}
	c.geventDir = *geventDir
	if !filepath.IsAbs(c.geventDir) {
		c.geventDir = filepath.Join(root, c.geventDir)
	}

	goRes := c.goBenchmarks(selected)
	memRes := map[string][]float64{}
	for _, r := range selected {
		if r.ours == memOurs {
			for _, impl := range []string{"ours", "raw"} {
				memRes["memparked:"+impl] = c.memParkedRuns(impl, r)
			}
		}
	}
	geventRes := map[string][]float64{}
	if !*noGevent {
		geventRes = c.geventScripts(selected)
	}
	report(os.Stdout, selected, geventRes, goRes, memRes, c)
}

type cmp struct {
	root, geventDir, python string
	count                   int
	benchtime               string
	quick, verbose          bool
}

func (c *cmp) logf(format string, args ...any) {
	if c.verbose {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}
}

// goBenchmarks runs the rows' Go benchmarks in every package that exists and
// returns ns/op (or req/s for req/s rows) per benchmark name.
func (c *cmp) goBenchmarks(rs []row) map[string][]float64 {
	var names []string
	for _, r := range rs {
		for _, n := range []string{r.ours, r.raw} {
			if n != "" && !strings.HasPrefix(n, "memparked:") {
				names = append(names, regexp.QuoteMeta(n))
			}
		}
	}
	res := map[string][]float64{}
	if len(names) == 0 {
		return res
	}
	var pkgs []string
	for _, p := range goPackages {
		if hasTests(filepath.Join(c.root, p)) {
			pkgs = append(pkgs, p)
		}
	}
	args := []string{"test", "-run", "^$", "-bench", "^Benchmark(" + strings.Join(names, "|") + ")$",
		"-benchmem", "-count", strconv.Itoa(c.count), "-benchtime", c.benchtime}
	args = append(args, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = c.root
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	c.logf("$ GOMAXPROCS=1 go %s", strings.Join(args, " "))
	out, err := cmd.CombinedOutput()
	c.logf("%s", out)
	if err != nil {
		// A package that fails to build or whose benchmark fails only loses
		// its rows; report and carry on with what parsed.
		fmt.Fprintf(os.Stderr, "benchcmp: go test: %v (rows without results are skipped; -v shows the output)\n", err)
	}
	parseGoBench(bytes.NewReader(out), res)
	return res
}

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// parseGoBench collects ns/op and req/s values from go test -bench output.
func parseGoBench(r io.Reader, res map[string][]float64) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		name, fields := m[1], strings.Fields(m[2])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			switch fields[i+1] {
			case "ns/op":
				res[name] = append(res[name], v)
			case "req/s":
				res[name+"@req/s"] = append(res[name+"@req/s"], v)
			}
		}
	}
}

func hasTests(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	return len(m) > 0
}

// geventScripts runs each row's script count times in fresh processes.
func (c *cmp) geventScripts(rs []row) map[string][]float64 {
	res := map[string][]float64{}
	if _, err := os.Stat(c.geventDir); err != nil {
		fmt.Fprintf(os.Stderr, "benchcmp: gevent scripts: %v (gevent column empty)\n", err)
		return res
	}
	for _, r := range rs {
		args := append([]string{filepath.Join(c.geventDir, r.script)}, r.args...)
		if c.quick {
			args = append(args, "--n", strconv.Itoa(r.quickN))
			if r.name == "echo_server" {
				args = append(args, "--duration", "1", "--warmup", "0.2")
			}
		}
		for range c.count {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			cmd := exec.CommandContext(ctx, c.python, args...)
			c.logf("$ %s %s", c.python, strings.Join(args, " "))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			cancel()
			c.logf("%s%s", out, stderr.Bytes())
			if err != nil {
				fmt.Fprintf(os.Stderr, "benchcmp: %s: %v\n%s", r.script, err, stderr.Bytes())
				break
			}
			for _, l := range parseJSONLines(out) {
				if l.Bench == r.name {
					res[r.name] = append(res[r.name], l.Value)
				}
			}
		}
	}
	return res
}

type jsonLine struct {
	Bench string  `json:"bench"`
	Unit  string  `json:"unit"`
	Value float64 `json:"value"`
	N     int     `json:"n"`
	Impl  string  `json:"impl"`
}

func parseJSONLines(out []byte) []jsonLine {
	var ls []jsonLine
	for _, line := range bytes.Split(out, []byte("\n")) {
		var l jsonLine
		if json.Unmarshal(line, &l) == nil && l.Bench != "" {
			ls = append(ls, l)
		}
	}
	return ls
}

// memParkedRuns measures memory_parked for impl in count fresh processes of
// this command (freed stacks are reused within a process and would hide the
// growth).
func (c *cmp) memParkedRuns(impl string, r row) []float64 {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchcmp: %v\n", err)
		return nil
	}
	n := 100000
	if c.quick {
		n = r.quickN
	}
	var vs []float64
	for range c.count {
		cmd := exec.Command(exe, "-memparked", impl, "-n", strconv.Itoa(n))
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
		out, err := cmd.Output()
		c.logf("$ %s -memparked %s -n %d\n%s", exe, impl, n, out)
		if err != nil {
			fmt.Fprintf(os.Stderr, "benchcmp: memparked %s: %v\n", impl, err)
			return vs
		}
		for _, l := range parseJSONLines(out) {
			vs = append(vs, l.Value)
		}
	}
	return vs
}

// memParked is the child process: VmRSS growth per greenlet parked in one
// Event.Wait (ours) or per goroutine parked on one channel (raw), printed as
// a JSON line like gevent's.
func memParked(impl string, n int) error {
	var before, after int64
	switch impl {
	case "ours":
		err := gevent.Run(context.Background(), func(ctx context.Context) error {
			var ev event.Event
			started := 0
			body := func(ctx context.Context) (struct{}, error) {
				started++
				return struct{}{}, ev.Wait(ctx)
			}
			// Bring up the hub and the Event's machinery first, as gevent's
			// script does.
			warm := make([]gevent.Task, 10)
			for i := range warm {
				warm[i] = gevent.Spawn(ctx, body)
			}
			for started < len(warm) {
				gevent.Yield(ctx)
			}
			ev.Set()
			if _, err := gevent.JoinAll(ctx, warm); err != nil {
				return err
			}
			ev.Clear()
			started = 0
			runtime.GC()
			before = rss()
			tasks := make([]gevent.Task, n)
			for i := range tasks {
				tasks[i] = gevent.Spawn(ctx, body)
			}
			for started < n {
				gevent.Yield(ctx)
			}
			runtime.GC()
			after = rss()
			logMem("ours", before, after, n)
			ev.Set()
			_, err := gevent.JoinAll(ctx, tasks)
			return err
		})
		if err != nil {
			return err
		}
	case "raw":
		ch := make(chan struct{})
		var started, ended atomic.Int64
		park := func() {
			started.Add(1)
			<-ch
			ended.Add(1)
		}
		for range 10 {
			go park()
		}
		for started.Load() < 10 {
			runtime.Gosched()
		}
		close(ch)
		for ended.Load() < 10 {
			runtime.Gosched()
		}
		ch = make(chan struct{})
		started.Store(0)
		ended.Store(0)
		runtime.GC()
		before = rss()
		for range n {
			go park()
		}
		for started.Load() < int64(n) {
			runtime.Gosched()
		}
		runtime.GC()
		after = rss()
		logMem("raw", before, after, n)
		close(ch)
		for ended.Load() < int64(n) {
			runtime.Gosched()
		}
	default:
		return fmt.Errorf("-memparked: unknown impl %q (ours or raw)", impl)
	}
	impl = "gevent-go"
	if bi, ok := debug.ReadBuildInfo(); ok {
		impl += "-" + bi.GoVersion
	}
	line, _ := json.Marshal(jsonLine{Bench: "memory_parked", Unit: "bytes/greenlet",
		Value: float64(after-before) / float64(n), N: n, Impl: impl})
	fmt.Println(string(line))
	return nil
}

func logMem(impl string, before, after int64, n int) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(os.Stderr, "memparked %s: VmRSS %d -> %d for %d; StackInuse %d HeapInuse %d\n",
		impl, before, after, n, ms.StackInuse, ms.HeapInuse)
}

// rss returns VmRSS from /proc/self/status in bytes.
func rss() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				fatal(err)
			}
			return kb * 1024
		}
	}
	fatal(errors.New("no VmRSS in /proc/self/status"))
	return 0
}

// report prints the table.
func report(w io.Writer, rs []row, geventRes, goRes, memRes map[string][]float64, c *cmp) {
	value := func(r row, name string) (float64, bool) {
		if strings.HasPrefix(name, "memparked:") {
			return median(memRes[name])
		}
		if r.unit == "req/s" {
			return median(goRes[name+"@req/s"])
		}
		return median(goRes[name])
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "bench\tunit\tgevent\tours\traw Go\tbudget\tgevent/ours\tours/raw\t")
	skipped := []string{}
	for _, r := range rs {
		ours, ok := value(r, r.ours)
		if !ok {
			skipped = append(skipped, r.name)
			continue
		}
		raw, rawOK := value(r, r.raw)
		gv, gOK := median(geventRes[r.name])
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.name, r.unit,
			num(gv, gOK), num(ours, true), num(raw, rawOK), r.budget,
			ratio(r, gv, ours, gOK), ratio(r, ours, raw, rawOK))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nGo: GOMAXPROCS=1, median of %d (-benchtime %s); gevent: median of %d fresh processes of %s.\n",
		c.count, c.benchtime, c.count, c.python)
	fmt.Fprintln(w, "Ratios compare cost (time or bytes per op; 1/rate for req/s): above 1 means the left one is slower.")
	if c.quick {
		fmt.Fprintln(w, "-quick: small workloads, one run: a smoke test, not numbers to quote.")
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "Skipped (no Go benchmark yet): %s\n", strings.Join(skipped, ", "))
	}
}

func num(v float64, ok bool) string {
	switch {
	case !ok:
		return "-"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
}

// ratio is cost(a)/cost(b).
func ratio(r row, a, b float64, ok bool) string {
	if !ok || a <= 0 || b <= 0 {
		return "-"
	}
	q := a / b
	if r.unit == "req/s" {
		q = b / a
	}
	return strconv.FormatFloat(q, 'f', 2, 64) + "x"
}

func median(vs []float64) (float64, bool) {
	if len(vs) == 0 {
		return 0, false
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

// moduleRoot finds the directory of the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("benchcmp: no go.mod above the working directory; run it from the module")
		}
		dir = parent
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "benchcmp:", err)
	os.Exit(1)
}
