package main

// The growth section: how the cost of three rows grows with N, the number
// of greenlets alive at once, for gevent, gevent-go and raw Go. The rows'
// own measurements use gevent's N of 100k; here each is measured again at
// N = 1k, 10k, 100k and 1M (1k and 10k in quick mode), a fresh process per
// (implementation, N), interleaved round by round like the rows.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Sizes of the growth section: the library's growth benchmarks
// (growth_bench_test.go) have a sub-benchmark N=<n> for each of growthFull.
var (
	growthFull  = []int{1_000, 10_000, 100_000, 1_000_000}
	growthQuick = []int{1_000, 10_000}
)

// growthDef is one curve set: a row of bench/gevent measured at several N.
type growthDef struct {
	name   string // the row, as in rows and gevent's JSON
	op     string
	unit   string
	script string
	ours   string // Go benchmarks in the root package, with a sub-benchmark per N
	raw    string
	// geventMax is the largest N gevent runs at (0: every N), and
	// geventWhy the reason, printed in the report.
	geventMax int
	geventWhy string
}

var growthDefs = []growthDef{
	{name: "spawn_join", op: "spawn + run + join, N spawned then joined", unit: "ns/op",
		script: "spawn_join.py", ours: "GrowthSpawnJoin", raw: "GrowthSpawnJoinRawGo"},
	{name: "sleep_timers", op: "N distinct short sleeps (the longest 1 ms)", unit: "ns/op",
		script: "sleep_timers.py", ours: "GrowthSleepTimers", raw: "GrowthSleepTimersRawGo"},
	{name: "memory_parked", op: "memory per parked greenlet, N parked (VmRSS)", unit: "bytes/greenlet",
		script: "memory_parked.py", ours: "GrowthMemoryParked", raw: "GrowthMemoryParkedRawGo",
		geventMax: 100_000,
		geventWhy: "gevent's memory_parked is not run at 1M: 1M parked greenlets take 8.5 GB of resident memory " +
			"(measured once by hand on 2026-11-26: 8,488 bytes/greenlet, as at 100k, peak RSS 8.3 GB, 120 s), " +
			"too much to repeat every round on this project's shared 23 GB machine"},
}

// growthImpls are the columns of every curve set, in order.
var growthImpls = []impl{
	geventImpl,
	{id: kindOurs, label: "gevent-go", kind: kindOurs},
	{id: kindRaw, label: "raw Go", kind: kindRaw},
}

// growthReport is the growth section of a report.
type growthReport struct {
	Sizes []int           `json:"sizes"`
	Rows  []*growthSeries `json:"rows"`
}

// growthSeries is one row measured at every N.
type growthSeries struct {
	Bench  string         `json:"bench"`
	Op     string         `json:"op"`
	Unit   string         `json:"unit"`
	Points []*growthPoint `json:"points"`
	// Note says why a column is missing at some N.
	Note string `json:"note,omitempty"`

	def *growthDef
}

// growthPoint is one N of a series: gevent, ours and raw Go.
type growthPoint struct {
	N           int       `json:"n"`
	Results     []*result `json:"results"`
	OursOverRaw *float64  `json:"ours_over_raw,omitempty"`
	// GeventOverOurs is gevent's cost ÷ ours (above 1: gevent-go is faster).
	GeventOverOurs *float64 `json:"gevent_over_ours,omitempty"`
}

func (p *growthPoint) get(id string) *result {
	for _, r := range p.Results {
		if r.Impl == id {
			return r
		}
	}
	return nil
}

// parseGrowthSizes reads -growth: "" or "none" for no section, "auto" for
// the default sizes of the mode, or a comma-separated list of N among
// growthFull.
func parseGrowthSizes(s string, quick bool) ([]int, error) {
	switch s {
	case "", "none":
		return nil, nil
	case "auto":
		if quick {
			return growthQuick, nil
		}
		return growthFull, nil
	}
	var ns []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || !slices.Contains(growthFull, n) {
			return nil, fmt.Errorf("-growth: %q is not one of %v", f, growthFull)
		}
		if !slices.Contains(ns, n) {
			ns = append(ns, n)
		}
	}
	slices.Sort(ns)
	return ns, nil
}

// newGrowth is the empty growth section at sizes, or nil without sizes.
func newGrowth(sizes []int) *growthReport {
	if len(sizes) == 0 {
		return nil
	}
	g := &growthReport{Sizes: sizes}
	for i := range growthDefs {
		d := &growthDefs[i]
		s := &growthSeries{Bench: d.name, Op: d.op, Unit: d.unit, def: d}
		for _, n := range sizes {
			p := &growthPoint{N: n}
			for _, im := range growthImpls {
				r := &result{Impl: im.id, Label: im.label, Kind: im.kind}
				switch im.kind {
				case kindGevent:
					r.Source = fmt.Sprintf("%s/%s --n %d", geventScripts, d.script, n)
					if d.geventMax > 0 && n > d.geventMax {
						r.Skip = "capped"
						s.Note = d.geventWhy
					}
				case kindOurs:
					r.Source = growthBench(d.ours, n).String()
				default:
					r.Source = growthBench(d.raw, n).String()
				}
				p.Results = append(p.Results, r)
			}
			s.Points = append(s.Points, p)
		}
		g.Rows = append(g.Rows, s)
	}
	return g
}

// growthBench is the sub-benchmark of name at n.
func growthBench(name string, n int) goBench {
	return goBench{pkg: ".", name: name + "/N=" + strconv.Itoa(n)}
}

// buildRows are pseudo-rows naming the test binaries the growth section
// runs, for runner.build.
func (g *growthReport) buildRows() []row {
	if g == nil {
		return nil
	}
	return []row{{name: "growth", impls: oursRaw(".", growthDefs[0].ours, growthDefs[0].raw)}}
}

// measureGrowth runs count rounds of the growth section: each round runs
// every implementation at every N once.
func measureGrowth(r *runner, g *growthReport, runGevent bool, procs, count int) {
	if g == nil {
		return
	}
	for round := 1; round <= count; round++ {
		for _, s := range g.Rows {
			for _, p := range s.Points {
				for _, res := range p.Results {
					if res.Skip != "" || res.Error != "" || (res.Kind == kindGevent && !runGevent) {
						continue
					}
					v, err := r.runGrowth(s, p.N, res.Kind, procs)
					label := fmt.Sprintf("%s N=%d", s.Bench, p.N)
					if err != nil {
						res.Error = err.Error()
						r.logf("growth %d/%d %-24s %-10s FAILED: %v", round, count, label, res.Label, err)
						continue
					}
					res.Runs = append(res.Runs, v)
					r.logf("growth %d/%d %-24s %-10s %12s %s", round, count, label, res.Label, number(v), s.Unit)
				}
			}
		}
	}
}

// runGrowth measures one implementation of a series at n once, in a fresh
// process: gevent's script with --n n, or the Go sub-benchmark with
// -benchtime nx (one timed batch of n after the N/10 warm-up).
func (r *runner) runGrowth(s *growthSeries, n int, kind string, procs int) (float64, error) {
	d := s.def
	if kind == kindGevent {
		rw := row{name: d.name, unit: d.unit, script: d.script, args: []string{"--n", strconv.Itoa(n)}, quickN: n}
		v, _, err := r.runGevent(&rw)
		return v, err
	}
	name := d.ours
	if kind == kindRaw {
		name = d.raw
	}
	b := growthBench(name, n)
	args := []string{"-test.run", "^$", "-test.bench", "^Benchmark" + name + "$/^N=" + strconv.Itoa(n) + "$",
		"-test.benchtime", strconv.Itoa(n) + "x", "-test.count", "1"}
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.binary(b.pkg), args...)
	cmd.Dir = r.root
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(procs))
	out, err := cmd.CombinedOutput()
	if r.verbose {
		r.logf("$ GOMAXPROCS=%d %s %s\n%s", procs, cmd.Path, strings.Join(args, " "), out)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %v\n%s", b, err, out)
	}
	v, ok := parseGoBench(out, b.name, d.unit)
	if !ok {
		return 0, fmt.Errorf("%s: no %s in its output:\n%s", b, d.unit, out)
	}
	return v, nil
}

// finish summarizes the runs and computes the ratios; it also reattaches a
// loaded report's series to their definitions.
func (g *growthReport) finish() error {
	if g == nil {
		return nil
	}
	for _, s := range g.Rows {
		i := slices.IndexFunc(growthDefs, func(d growthDef) bool { return d.name == s.Bench })
		if i < 0 {
			return fmt.Errorf("growth: unknown row %q", s.Bench)
		}
		s.def = &growthDefs[i]
		for _, p := range s.Points {
			for _, r := range p.Results {
				r.summarize()
			}
			p.OursOverRaw = ratioOfMedians(p.get(kindOurs), p.get(kindRaw))
			p.GeventOverOurs = ratioOfMedians(p.get(kindGevent), p.get(kindOurs))
		}
	}
	return nil
}

// ratioOfMedians is a.Median ÷ b.Median, or nil (every growth unit is a
// cost: time or bytes per op).
func ratioOfMedians(a, b *result) *float64 {
	if a == nil || b == nil || !a.ok() || !b.ok() || a.Median <= 0 || b.Median <= 0 {
		return nil
	}
	q := a.Median / b.Median
	return &q
}

// failures lists the growth runs that were due and failed.
func (g *growthReport) failures() []string {
	if g == nil {
		return nil
	}
	var fs []string
	for _, s := range g.Rows {
		for _, p := range s.Points {
			for _, r := range p.Results {
				if r.Error != "" {
					fs = append(fs, fmt.Sprintf("growth %s N=%d %s: %s", s.Bench, p.N, r.Label, r.Error))
				}
			}
		}
	}
	return fs
}

// geventColumn is the gevent column's heading: gevent and its version.
func geventColumn(rep *report) string {
	if rep.Machine.Gevent != "" {
		return "gevent " + rep.Machine.Gevent
	}
	return "gevent"
}

// growthLegend is a curve's legend text.
func growthLegend(rep *report, im impl) string {
	if im.kind == kindGevent {
		return geventColumn(rep)
	}
	return im.label
}

// growthFigure is a growth table's cell: figure() or why there is none.
func growthFigure(r *result) string {
	if r != nil && r.Skip == "capped" {
		return "not run (see below)"
	}
	return figure(r)
}

// markdown renders the section: a table per row and the chart; chart is
// the image's path relative to the document ("" for none).
func (g *growthReport) markdown(chart, geventLabel string, count int) string {
	if g == nil {
		return ""
	}
	var b bytes.Buffer
	b.WriteString("\n## Growth: cost as N grows\n\n")
	fmt.Fprintf(&b, "spawn_join, sleep_timers and memory_parked with N greenlets alive at once, N = %s; "+
		"gevent's script with `--n N`, the library's `BenchmarkGrowth*` sub-benchmark `N=<N>` with `-benchtime Nx` "+
		"(one timed batch of N after an untimed warm-up of N/10, at most 10,000), each a fresh process, GOMAXPROCS=1. ",
		sizesText(g.Sizes))
	if count == 1 {
		b.WriteString("One run each.\n")
	} else {
		fmt.Fprintf(&b, "Median of %d runs with [min–max], interleaved round by round.\n", count)
	}
	for _, s := range g.Rows {
		fmt.Fprintf(&b, "\n`%s` %s, %s:\n\n", s.Bench, s.Op, s.Unit)
		fmt.Fprintf(&b, "| N | %s | gevent-go | raw Go | gevent ÷ ours | ours ÷ raw Go |\n|--:|--:|--:|--:|--:|--:|\n", geventLabel)
		for _, p := range s.Points {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", group(float64(p.N)),
				growthFigure(p.get(kindGevent)), growthFigure(p.get(kindOurs)), growthFigure(p.get(kindRaw)),
				ratio(p.GeventOverOurs), ratio(p.OursOverRaw))
		}
		if s.Note != "" {
			fmt.Fprintf(&b, "\n%s.\n", s.Note)
		}
	}
	if chart != "" {
		fmt.Fprintf(&b, "\n![Cost per op against N, log-log, for gevent, gevent-go and raw Go](%s)\n", chart)
	}
	return b.String()
}

// sizesText is "1k, 10k, 100k and 1M".
func sizesText(ns []int) string {
	var ts []string
	for _, n := range ns {
		ts = append(ts, sizeLabel(n))
	}
	if len(ts) <= 1 {
		return strings.Join(ts, "")
	}
	return strings.Join(ts[:len(ts)-1], ", ") + " and " + ts[len(ts)-1]
}

// sizeLabel is n as 1k, 10k, 1M.
func sizeLabel(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1_000 && n%1_000 == 0:
		return strconv.Itoa(n/1_000) + "k"
	}
	return strconv.Itoa(n)
}

// growthColors are the curves' colors: gevent and ours as in the bar chart,
// raw Go black like its line there.
var growthColors = map[string]color.Color{
	kindGevent: implColors[kindGevent],
	kindOurs:   implColors[kindOurs],
	kindRaw:    color.Black,
}

// sizeTicks label a log N axis at the measured sizes.
type sizeTicks []int

func (st sizeTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for _, n := range st {
		if v := float64(n); v >= min && v <= max {
			ts = append(ts, plot.Tick{Value: v, Label: sizeLabel(n)})
		}
	}
	return ts
}

// valueTicks are 1-2-5 steps on a log value axis.
type valueTicks struct{}

func (valueTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= min && v <= max {
				ts = append(ts, plot.Tick{Value: v, Label: shortNumber(v)})
			}
		}
	}
	return ts
}

// shortNumber is v as 500, 2k, 10k, 1M.
func shortNumber(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', -1, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// writeGrowthChart renders one panel per row, side by side: each
// implementation's median against N, both axes log scale.
func writeGrowthChart(w io.Writer, g *growthReport, rep *report) error {
	if g == nil || len(g.Rows) == 0 {
		return errors.New("growth chart: no growth section")
	}
	sans := font.Font{Typeface: "Liberation", Variant: "Sans"}
	var panels []*plot.Plot
	for _, s := range g.Rows {
		p := plot.New()
		for _, sty := range []*draw.TextStyle{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
			&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
			sty.Font.Typeface, sty.Font.Variant = sans.Typeface, sans.Variant
		}
		p.Title.Text = s.Bench
		p.Title.TextStyle.Font.Size = vg.Points(11)
		p.X.Label.Text = "N (log scale)"
		p.Y.Label.Text = s.Unit + " (log scale)"
		p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
		p.X.Tick.Marker = sizeTicks(g.Sizes)
		p.Y.Tick.Marker = valueTicks{}
		grid := plotter.NewGrid()
		grid.Vertical.Color = color.Gray{Y: 225}
		grid.Horizontal.Color = color.Gray{Y: 225}
		p.Add(grid)
		lines := 0
		for _, im := range growthImpls {
			var xys plotter.XYs
			for _, pt := range s.Points {
				if r := pt.get(im.id); r != nil && r.ok() && r.Median > 0 {
					xys = append(xys, plotter.XY{X: float64(pt.N), Y: r.Median})
				}
			}
			if len(xys) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(xys)
			if err != nil {
				return err
			}
			l.Color, l.Width = growthColors[im.id], vg.Points(1.5)
			pts.Color, pts.Shape = growthColors[im.id], draw.CircleGlyph{}
			p.Add(l, pts)
			p.Legend.Add(growthLegend(rep, im), l, pts)
			lines++
		}
		if lines == 0 {
			continue
		}
		// Room around the curves, so points do not sit on the frame, and
		// below them for the legend (per-op costs are flat or rise with N).
		p.X.Min, p.X.Max = p.X.Min/1.5, p.X.Max*1.5
		p.Y.Min, p.Y.Max = p.Y.Min/8, p.Y.Max*2
		p.Legend.Top, p.Legend.Left = false, false
		p.Legend.XOffs, p.Legend.YOffs = -vg.Points(14), vg.Points(4)
		p.Legend.TextStyle.Font.Size = vg.Points(8)
		panels = append(panels, p)
	}
	if len(panels) == 0 {
		return errors.New("growth chart: no figure to draw")
	}
	width := vg.Length(len(panels)) * 4 * vg.Inch
	c := vgimg.NewWith(vgimg.UseWH(width, 3.6*vg.Inch), vgimg.UseDPI(144))
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(12), PadTop: vg.Points(6),
		PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	for i, p := range panels {
		p.Draw(tiles.At(dc, i, 0))
	}
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// writeGrowthOutputs writes growth.png beside the report's other files.
func writeGrowthOutputs(rep *report, dir string) error {
	if rep.Growth == nil {
		return nil
	}
	var png bytes.Buffer
	if err := writeGrowthChart(&png, rep.Growth, rep); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "growth.png"), png.Bytes(), 0o644)
}
