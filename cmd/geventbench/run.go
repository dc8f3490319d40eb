package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// peersPkg is the test binary of the bench/peers module.
const peersPkg = "bench/peers"

// runner measures rows: it builds the Go test binaries once, then runs every
// measurement in a fresh process.
type runner struct {
	root      string // the library's module root
	geventDir string // gevent's scripts
	python    string
	binDir    string // test binaries
	quick     bool
	benchtime string // Go -benchtime in full mode
	timeout   time.Duration
	verbose   bool
	log       io.Writer
	multicore []int // GOMAXPROCS values of the multi-core section (none: not run)
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.log, format+"\n", args...)
}

// build compiles the test binary of every package the rows use.
func (r *runner) build(rs []row) error {
	seen := map[string]bool{}
	for _, rw := range rs {
		for _, im := range rw.impls {
			pkg := im.bench.pkg
			if seen[pkg] {
				continue
			}
			seen[pkg] = true
			dir, target := r.root, "./"+pkg
			if pkg == peersPkg {
				// Its own module: the peers' dependencies stay out of the
				// library's go.mod.
				dir, target = filepath.Join(r.root, peersPkg), "."
			}
			cmd := exec.Command("go", "test", "-c", "-o", r.binary(pkg), target)
			cmd.Dir = dir
			r.logf("building %s", im.bench.pkg)
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("go test -c %s: %v\n%s", pkg, err, out)
			}
		}
	}
	return nil
}

func (r *runner) binary(pkg string) string {
	name := strings.NewReplacer("/", "_", ".", "root").Replace(pkg)
	return filepath.Join(r.binDir, name+".test")
}

// goBenchtime is the -benchtime of the row's Go benchmarks.
func (r *runner) goBenchtime(rw *row) string {
	switch {
	case r.quick:
		return strconv.Itoa(rw.quickN) + "x"
	case rw.fullBenchtime != "":
		return rw.fullBenchtime
	default:
		return r.benchtime
	}
}

// runGo runs one Go benchmark once in a fresh process with GOMAXPROCS=procs
// and returns its figure in the row's unit.
func (r *runner) runGo(rw *row, b goBench, procs int) (float64, error) {
	args := []string{"-test.run", "^$", "-test.bench", "^Benchmark" + regexp.QuoteMeta(b.name) + "$",
		"-test.benchtime", r.goBenchtime(rw), "-test.count", "1"}
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.binary(b.pkg), args...)
	cmd.Dir = filepath.Join(r.root, b.pkg) // where go test would run it
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(procs))
	out, err := cmd.CombinedOutput()
	if r.verbose {
		r.logf("$ GOMAXPROCS=%d %s %s\n%s", procs, cmd.Path, strings.Join(args, " "), out)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %v\n%s", b, err, out)
	}
	v, ok := parseGoBench(out, b.name, rw.unit)
	if !ok {
		return 0, fmt.Errorf("%s: no %s in its output:\n%s", b, rw.unit, out)
	}
	return v, nil
}

// benchLine matches a result line of go test -bench: the name (with a -N
// GOMAXPROCS suffix when N > 1), the iterations, then value-unit pairs.
var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// parseGoBench returns the value of metric on the result line of the
// benchmark name.
func parseGoBench(out []byte, name, metric string) (float64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil || m[1] != name {
			continue
		}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			if f[i+1] != metric {
				continue
			}
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				return v, true
			}
		}
	}
	return 0, false
}

// runGevent runs the row's gevent script once in a fresh interpreter and
// returns its figure and the impl string it reports (gevent's version).
func (r *runner) runGevent(rw *row) (float64, string, error) {
	args := append([]string{filepath.Join(r.geventDir, rw.script)}, rw.args...)
	if r.quick {
		args = append(args, "--n", strconv.Itoa(rw.quickN))
		if rw.name == "echo_server" {
			args = append(args, "--duration", "1", "--warmup", "0.2")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.python, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if r.verbose {
		r.logf("$ %s %s\n%s%s", r.python, strings.Join(args, " "), out, stderr.Bytes())
	}
	if err != nil {
		return 0, "", fmt.Errorf("%s: %v\n%s", rw.script, err, stderr.Bytes())
	}
	for _, l := range parseJSONLines(out) {
		if l.Bench == rw.name {
			if l.Unit != rw.unit {
				return 0, "", fmt.Errorf("%s: unit %q, want %q", rw.script, l.Unit, rw.unit)
			}
			return l.Value, l.Impl, nil
		}
	}
	return 0, "", fmt.Errorf("%s: no %q line in its output:\n%s", rw.script, rw.name, out)
}

// jsonLine is one line of gevent's scripts' output.
type jsonLine struct {
	Bench string  `json:"bench"`
	Unit  string  `json:"unit"`
	Value float64 `json:"value"`
	N     int     `json:"n"`
	Impl  string  `json:"impl"`
}

func parseJSONLines(out []byte) []jsonLine {
	var ls []jsonLine
	for line := range bytes.Lines(out) {
		var l jsonLine
		if json.Unmarshal(line, &l) == nil && l.Bench != "" {
			ls = append(ls, l)
		}
	}
	return ls
}

// errNoGevent says gevent cannot be run here, and how to fix it.
var errNoGevent = errors.New("gevent is not installed for this interpreter; install it with: apt-get update && apt-get install -y python3-gevent")
