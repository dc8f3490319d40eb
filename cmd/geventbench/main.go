// Command geventbench measures every row of the repository's gevent
// benchmarks (bench/gevent/README.md) three ways on one machine in one run:
// gevent running the row's script, this library's Go benchmark and the
// raw-Go floor of the same shape; pool-shaped rows also measure the Go peers users
// would pick instead (errgroup, conc, ants, pond).
//
// Every measurement is a fresh process: gevent's script under /usr/bin/python3,
// or one Go benchmark of a test binary built once at the start
// (GOMAXPROCS=1, like gevent's one thread). The implementations' runs are
// interleaved, round by round, so that a noisy minute hits all of them. Each
// figure is the median of -count runs, with min and max.
//
// A growth section (growth.go) measures spawn_join, sleep_timers and
// memory_parked again at N = 1k, 10k, 100k and 1M (-growth).
// A multi-core section (multicore.go) measures echo and spawn throughput of
// a group of hubs at GOMAXPROCS = 1 to the cores beside raw Go (-multicore).
//
// In full mode (the default) it writes docs/benchmarks.md, docs/benchmarks.json
// and the charts docs/benchmarks.png and docs/growth.png, and rewrites the
// README's performance section; it takes about ten minutes plus two per
// round of the growth section. In quick mode (-quick, seconds) every
// benchmark runs once on a small workload: a check that all still run, for
// CI, not numbers to quote. It prints the markdown table in both.
//
// It lives in its own module so that the library keeps no dependencies. From
// the repository root:
//
//	go run -C cmd/geventbench .                 # full: the published numbers
//	go run -C cmd/geventbench . -quick          # seconds: everything still runs
//	go run -C cmd/geventbench . -rows pool_map,echo_server -count 3
//
// If gevent is not installed it says how to install it and reports the other
// columns.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// libraryModule is the go.mod line that marks the repository root.
const libraryModule = "module github.com/gevent-go/gevent\n"

// geventScripts is the folder of the gevent scripts, relative to the
// repository root.
const geventScripts = "bench/gevent"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "geventbench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("geventbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		quick     = fs.Bool("quick", false, "small workloads, one run each: checks that every benchmark still runs (seconds)")
		count     = fs.Int("count", 5, "runs of each implementation per row (fresh processes); the median is reported")
		benchtime = fs.String("benchtime", "1s", "Go -benchtime in full mode (memory_parked and echo_server set their own)")
		only      = fs.String("rows", "", "comma-separated rows to run (default: all)")
		rootDir   = fs.String("root", "", "the library's repository root (default: found above the working directory)")
		geventDir = fs.String("gevent", "", "folder of the gevent scripts (default: ROOT/bench/gevent)")
		python    = fs.String("python", "/usr/bin/python3", "interpreter with python3-gevent")
		noGevent  = fs.Bool("nogevent", false, "skip gevent's scripts")
		procs     = fs.Int("gomaxprocs", 1, "GOMAXPROCS of the Go benchmarks (1 is like-for-like with gevent)")
		alsoProcs = fs.Int("also-gomaxprocs", runtime.NumCPU(), "also run gevent-go and raw Go at this GOMAXPROCS, as extra information (0: don't)")
		multicore = fs.String("multicore", "auto", "GOMAXPROCS values of the multi-core section (multicore.go): auto (1 to the cores; none with -rows), none, or a list such as 1,2,4")
		out       = fs.String("out", "", "folder for benchmarks.{md,json,png} (default: ROOT/docs in a full run of all rows, none otherwise)")
		verbose   = fs.Bool("v", false, "print every command and its output")
		render    = fs.String("render", "", "measure nothing: render the outputs (and the README, with the default -out) from this benchmarks.json")
		growth    = fs.String("growth", "auto", "sizes of the growth section: auto (1k-1M; 1k,10k with -quick; none with -rows), none, or a list such as 1000,100000")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *count < 1 {
		return errors.New("-count must be at least 1")
	}
	if *quick {
		*count = 1
	}
	root := *rootDir
	if root == "" {
		var err error
		if root, err = findRoot(); err != nil {
			return err
		}
	}
	if *render != "" {
		return rerender(*render, root, *out, stdout, stderr)
	}
	multicoreProcs, err := parseMulticore(*multicore, *only != "")
	if err != nil {
		return err
	}
	selected, err := selectRows(*only)
	if err != nil {
		return err
	}
	if *growth == "auto" && *only != "" {
		*growth = "none"
	}
	growthSizes, err := parseGrowthSizes(*growth, *quick)
	if err != nil {
		return err
	}
	// Full runs of every row are the published numbers: they go to docs/
	// and the README unless told otherwise.
	publish := !*quick && *only == "" && *out == ""
	if publish {
		*out = filepath.Join(root, "docs")
	}
	binDir, err := os.MkdirTemp("", "geventbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(binDir)
	r := &runner{
		root: root, geventDir: *geventDir, python: *python, binDir: binDir, quick: *quick,
		benchtime: *benchtime, timeout: 10 * time.Minute, verbose: *verbose, log: stderr,
		multicore: multicoreProcs,
	}
	if r.geventDir == "" {
		r.geventDir = filepath.Join(root, geventScripts)
	}
	mode := "full"
	if *quick {
		mode = "quick"
		r.timeout = 2 * time.Minute
	}
	if *alsoProcs == *procs {
		*alsoProcs = 0
	}
	bt := *benchtime
	if *quick {
		bt = "each row's quick N (Nx)"
	}
	rep := newReport(selected, mode, *count, bt, describeMachine(root, *procs), *alsoProcs)
	rep.Growth = newGrowth(growthSizes)

	// gevent's column: run it if the interpreter has gevent; otherwise say
	// how to install it and report the other columns.
	runGevent := !*noGevent
	if _, err := os.Stat(r.geventDir); runGevent && err != nil {
		runGevent = false
		fmt.Fprintf(stderr, "geventbench: gevent's scripts: %v (use -gevent DIR)\n", err)
		rep.Notes = append(rep.Notes, "gevent column not run: its scripts were not found at "+r.geventDir+".")
	}
	if runGevent {
		py, gv, gl, err := probeGevent(r.python)
		if err != nil {
			runGevent = false
			fmt.Fprintln(stderr, "geventbench:", err)
			rep.Notes = append(rep.Notes, "gevent column not run: "+errNoGevent.Error()+".")
		} else {
			rep.Machine.Python, rep.Machine.Gevent, rep.Machine.Greenlet = py, gv, gl
		}
	}
	for _, rr := range rep.Rows {
		if g := rr.get(kindGevent); !runGevent && g != nil {
			g.Skip = "gevent not run"
		}
	}

	if err := r.build(append(selected, rep.Growth.buildRows()...)); err != nil {
		return err
	}
	measure(r, rep, runGevent, *count)
	for _, rr := range rep.Rows {
		rr.finish()
	}
	measureGrowth(r, rep.Growth, runGevent, *procs, *count)
	if err := rep.Growth.finish(); err != nil {
		return err
	}

	md := rep.markdown("") + rep.Growth.markdown("", geventColumn(rep), rep.Count)
	fmt.Fprint(stdout, "\n"+md)
	if *out != "" {
		if err := save(rep, *out, root, publish, stderr); err != nil {
			return err
		}
	}
	if fails := append(rep.failures(), rep.Growth.failures()...); len(fails) > 0 {
		return fmt.Errorf("%d benchmark runs failed:\n%s", len(fails), strings.Join(fails, "\n"))
	}
	return nil
}

// measure runs count rounds; each round runs every implementation of every
// row once, so the runs of one row's implementations sit side by side in
// time.
func measure(r *runner, rep *report, runGevent bool, count int) {
	for round := 1; round <= count; round++ {
		for _, rr := range rep.Rows {
			for _, res := range rr.Results {
				if res.Kind == kindGevent && !runGevent {
					continue
				}
				measureOnce(r, rr, res, rep.Machine.GOMAXPROCS, res.Label, round, count)
			}
			for _, res := range rr.Extra {
				measureOnce(r, rr, res, rep.ExtraProcs, fmt.Sprintf("%s P=%d", res.Label, rep.ExtraProcs), round, count)
			}
		}
	}
	rep.Multicore = newMulticore(r.multicore)
	measureMulticore(r, rep.Multicore, count)
}

// measureOnce adds one run to res. A failed implementation stops for this
// row; the others go on, and the command fails at the end.
func measureOnce(r *runner, rr *rowResult, res *result, procs int, label string, round, count int) {
	if res.Skip != "" || res.Error != "" {
		return
	}
	var (
		v   float64
		err error
	)
	if res.Kind == kindGevent {
		v, _, err = r.runGevent(rr.row)
	} else {
		v, err = r.runGo(rr.row, benchOf(rr.row, res.Impl), procs)
	}
	if err != nil {
		res.Error = err.Error()
		r.logf("round %d/%d %-20s %-14s FAILED: %v", round, count, rr.Bench, label, err)
		return
	}
	res.Runs = append(res.Runs, v)
	r.logf("round %d/%d %-20s %-14s %12s %s", round, count, rr.Bench, label, number(v), rr.Unit)
}

func benchOf(rw *row, id string) goBench {
	for _, im := range rw.impls {
		if im.id == id {
			return im.bench
		}
	}
	panic("geventbench: no implementation " + id + " in row " + rw.name)
}

func selectRows(only string) ([]row, error) {
	if only == "" {
		return slices.Clone(rows), nil
	}
	var rs []row
	for _, name := range strings.Split(only, ",") {
		i := slices.IndexFunc(rows, func(r row) bool { return r.name == name })
		if i < 0 {
			names := make([]string, len(rows))
			for j, r := range rows {
				names[j] = r.name
			}
			return nil, fmt.Errorf("-rows: no row %q (rows: %s)", name, strings.Join(names, ", "))
		}
		rs = append(rs, rows[i])
	}
	return rs, nil
}

// findRoot finds the library's repository root above the working directory
// (this command's own module sits inside it).
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(data, []byte(libraryModule)) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no github.com/gevent-go/gevent go.mod above the working directory; use -root")
		}
		dir = parent
	}
}

// writeOutputs writes benchmarks.md, benchmarks.json and benchmarks.png.
func writeOutputs(rep *report, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeMulticoreOutputs(rep, dir); err != nil {
		return err
	}
	var png bytes.Buffer
	if err := writeChart(&png, rep); err != nil {
		return err
	}
	js, err := rep.json()
	if err != nil {
		return err
	}
	doc := "# Benchmarks: gevent, Go peers and gevent-go\n\n" +
		"Written by `go run -C cmd/geventbench .` (do not edit by hand); the same table is in the README. " +
		"What each operation is, exactly: [`bench/gevent/README.md`](../bench/gevent/README.md). " +
		"Every run's figure is in `benchmarks.json`.\n\n" + rep.markdown("benchmarks.png") +
		rep.Growth.markdown("growth.png", geventColumn(rep), rep.Count)
	if err := writeGrowthOutputs(rep, dir); err != nil {
		return err
	}
	for name, data := range map[string][]byte{"benchmarks.png": png.Bytes(), "benchmarks.json": append(js, '\n'), "benchmarks.md": []byte(doc)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// rerender writes the outputs of a saved report again: after a change to the
// tables or the chart, without measuring again. With no -out it publishes to
// docs/ and the README, like the full run that saved it.
func rerender(path, root, out string, stdout, stderr io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	rep, err := loadReport(data)
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	fmt.Fprint(stdout, rep.markdown("")+rep.Growth.markdown("", geventColumn(rep), rep.Count))
	publish := out == ""
	if publish {
		out = filepath.Join(root, "docs")
	}
	return save(rep, out, root, publish, stderr)
}

// save writes the outputs to dir and, when publishing, the README section.
func save(rep *report, dir, root string, publish bool, stderr io.Writer) error {
	if err := writeOutputs(rep, dir); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "geventbench: wrote %s\n", filepath.Join(dir, "benchmarks.{md,json,png}"))
	if !publish {
		return nil
	}
	if err := updateReadme(filepath.Join(root, "README.md"), rep); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "geventbench: updated README.md")
	return nil
}

// updateReadme rewrites the README's generated performance section.
func updateReadme(path string, rep *report) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc, err := replaceSection(string(data), rep.markdown("docs/benchmarks.png"))
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
