package main

// The multi-core section (issue 12): echo and spawn throughput of a group
// of hubs (gevent.RunGroup, one hub per GOMAXPROCS) for GOMAXPROCS = 1, 2,
// ... up to the machine's cores, beside raw Go at the same GOMAXPROCS, as
// a table and a chart (docs/multicore.png). Runs are interleaved like the
// rows': each round runs every implementation at every GOMAXPROCS once.

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"runtime"
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

// multicoreOp is one operation of the section: the group's benchmark and
// raw Go's, and the budget at the default GOMAXPROCS (DESIGN §8).
type multicoreOp struct {
	name, op  string
	unit      string // the Go metric read: req/s, or ns/op turned into /s
	ours, raw goBench
	benchtime string // full mode; quick mode runs quickN times
	quickN    int
	// limit is the budget at the machine's core count, as a cost ratio
	// ours ÷ raw Go (echo: throughput ≥ 1.2x raw Go is cost ≤ 1/1.2).
	limit  float64
	budget string
}

var multicoreOps = []multicoreOp{
	{
		name: "echo_server", op: "echo server, 50 clients in-process, 64 B; server and clients on every hub", unit: "req/s",
		ours: goBench{"server", "EchoServerStreamGroup"}, raw: goBench{"server", "EchoServerStreamRawGo"},
		benchtime: "5s", quickN: 2_000, limit: 1 / 1.2, budget: "≥ 1.2x raw Go's throughput",
	},
	{
		name: "spawn_join", op: "spawn + run + join, 100k per batch; a driver greenlet per hub", unit: "ns/op",
		ours: goBench{".", "SpawnJoinGroup"}, raw: goBench{".", "SpawnJoinRawGo"},
		benchtime: gevent100k, quickN: 10_000, limit: 1.0, budget: "≤ 1.0x raw Go's cost",
	},
}

// multicoreReport is the section's figures.
type multicoreReport struct {
	Procs []int           `json:"gomaxprocs"`
	Rows  []*multicoreRow `json:"rows"`
}

// multicoreRow is one operation at every GOMAXPROCS.
type multicoreRow struct {
	Bench  string            `json:"bench"`
	Op     string            `json:"op"`
	Unit   string            `json:"unit"` // of the runs: req/s or ns/op
	Budget string            `json:"budget"`
	Points []*multicorePoint `json:"points"`

	op *multicoreOp
}

// multicorePoint is one GOMAXPROCS: the group of that many hubs and raw Go.
type multicorePoint struct {
	Procs int     `json:"gomaxprocs"`
	Ours  *result `json:"ours"`
	Raw   *result `json:"raw"`
	// OursOverRaw is the cost ratio of the medians (1/rate for req/s);
	// BudgetMet is set at the last (default) GOMAXPROCS only.
	OursOverRaw *float64 `json:"ours_over_raw,omitempty"`
	BudgetMet   *bool    `json:"budget_met,omitempty"`
}

// parseMulticore reads -multicore: auto (1..NumCPU; none with -rows), none,
// or a list of GOMAXPROCS values.
func parseMulticore(s string, rowsGiven bool) ([]int, error) {
	switch s {
	case "none":
		return nil, nil
	case "auto":
		if rowsGiven {
			return nil, nil
		}
		var ps []int
		for p := 1; p <= runtime.NumCPU(); p++ {
			ps = append(ps, p)
		}
		return ps, nil
	}
	var ps []int
	for _, f := range strings.Split(s, ",") {
		p, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || p < 1 {
			return nil, fmt.Errorf("-multicore: %q is not auto, none or a list of GOMAXPROCS values", s)
		}
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return slices.Compact(ps), nil
}

func newMulticore(procs []int) *multicoreReport {
	if len(procs) == 0 {
		return nil
	}
	m := &multicoreReport{Procs: procs}
	for i := range multicoreOps {
		op := &multicoreOps[i]
		mr := &multicoreRow{Bench: op.name, Op: op.op, Unit: op.unit, Budget: op.budget, op: op}
		for _, p := range procs {
			mr.Points = append(mr.Points, &multicorePoint{Procs: p,
				Ours: &result{Impl: kindOurs, Label: "gevent-go", Kind: kindOurs, Source: op.ours.String()},
				Raw:  &result{Impl: kindRaw, Label: "raw Go", Kind: kindRaw, Source: op.raw.String()}})
		}
		m.Rows = append(m.Rows, mr)
	}
	return m
}

// measureMulticore runs count rounds of the section (the test binaries of
// the root and server packages are built if the rows did not need them).
func measureMulticore(r *runner, m *multicoreReport, count int) {
	if m == nil {
		return
	}
	var need []row
	for _, op := range multicoreOps {
		for _, b := range []goBench{op.ours, op.raw} {
			if _, err := os.Stat(r.binary(b.pkg)); err != nil {
				need = append(need, row{name: op.name, impls: []impl{{bench: b}}})
			}
		}
	}
	if err := r.build(need); err != nil {
		for _, mr := range m.Rows {
			for _, pt := range mr.Points {
				pt.Ours.Error, pt.Raw.Error = err.Error(), err.Error()
			}
		}
		return
	}
	for round := 1; round <= count; round++ {
		for _, mr := range m.Rows {
			rw := &row{name: mr.Bench, unit: mr.Unit, quickN: mr.op.quickN, fullBenchtime: mr.op.benchtime,
				impls: []impl{{id: kindOurs, bench: mr.op.ours}, {id: kindRaw, bench: mr.op.raw}}}
			rr := &rowResult{Bench: "multicore " + mr.Bench, row: rw}
			for _, pt := range mr.Points {
				for _, res := range []*result{pt.Ours, pt.Raw} {
					measureOnce(r, rr, res, pt.Procs, fmt.Sprintf("%s P=%d", res.Label, pt.Procs), round, count)
				}
			}
		}
	}
	m.finish()
}

// finish summarizes the runs and computes the ratios and the budget check
// at the last GOMAXPROCS.
func (m *multicoreReport) finish() {
	if m == nil {
		return
	}
	for _, mr := range m.Rows {
		if mr.op == nil {
			if i := slices.IndexFunc(multicoreOps, func(o multicoreOp) bool { return o.name == mr.Bench }); i >= 0 {
				mr.op = &multicoreOps[i]
			}
		}
		for i, pt := range mr.Points {
			pt.Ours.summarize()
			pt.Raw.summarize()
			pt.OursOverRaw, pt.BudgetMet = nil, nil
			if !pt.Ours.ok() || !pt.Raw.ok() || pt.Ours.Median <= 0 || pt.Raw.Median <= 0 {
				continue
			}
			q := pt.Ours.Median / pt.Raw.Median
			if mr.Unit == "req/s" {
				q = 1 / q
			}
			pt.OursOverRaw = &q
			if i == len(mr.Points)-1 && mr.op != nil {
				met := q <= mr.op.limit
				pt.BudgetMet = &met
			}
		}
	}
}

// failures lists the runs that failed.
func (m *multicoreReport) failures() []string {
	if m == nil {
		return nil
	}
	var fs []string
	for _, mr := range m.Rows {
		for _, pt := range mr.Points {
			for _, r := range []*result{pt.Ours, pt.Raw} {
				if r.Error != "" {
					fs = append(fs, fmt.Sprintf("multicore %s %s at GOMAXPROCS=%d: %s", mr.Bench, r.Label, pt.Procs, r.Error))
				}
			}
		}
	}
	return fs
}

// throughput turns a figure into operations per second.
func (mr *multicoreRow) throughput(v float64) float64 {
	if mr.Unit == "req/s" || v <= 0 {
		return v
	}
	return 1e9 / v
}

// throughputUnit names what throughput returns.
func (mr *multicoreRow) throughputUnit() string {
	if mr.Unit == "req/s" {
		return "req/s"
	}
	return "greenlets/s"
}

// tput is a result's median throughput with its range, or why there is none.
func (mr *multicoreRow) tput(r *result) string {
	switch {
	case !r.ok():
		if r.Error != "" {
			return "failed"
		}
		return "not run"
	case len(r.Runs) == 1:
		return group(mr.throughput(r.Median))
	}
	lo, hi := mr.throughput(r.Min), mr.throughput(r.Max)
	if lo > hi {
		lo, hi = hi, lo
	}
	return fmt.Sprintf("%s [%s–%s]", group(mr.throughput(r.Median)), group(lo), group(hi))
}

// markdown renders the section: one table per operation, then the chart
// (chart: the image's path relative to the document, "" for none).
func (m *multicoreReport) markdown(chart string) string {
	if m == nil {
		return ""
	}
	var b bytes.Buffer
	b.WriteString("\n### Every core: a group of hubs\n\n")
	b.WriteString("A group of GOMAXPROCS hubs (`gevent.RunGroup`; servers and spawns spread over the hubs with " +
		"`gevent.Spread`) beside raw Go at the same GOMAXPROCS, in fresh processes, interleaved round by round. " +
		"Throughput: higher is better; ours ÷ raw Go compares costs (below 1: gevent-go is faster). " +
		"The budget holds at the machine's core count (DESIGN §8).\n")
	for _, mr := range m.Rows {
		fmt.Fprintf(&b, "\n`%s` %s, %s; budget %s:\n\n", mr.Bench, mr.Op, mr.throughputUnit(), mr.Budget)
		b.WriteString("| hubs = GOMAXPROCS | gevent-go | raw Go | ours ÷ raw Go | budget |\n|--:|--:|--:|--:|---|\n")
		for _, pt := range mr.Points {
			bud := "—"
			if pt.BudgetMet != nil {
				bud = "✗"
				if *pt.BudgetMet {
					bud = "✓"
				}
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", pt.Procs, mr.tput(pt.Ours), mr.tput(pt.Raw), ratio(pt.OursOverRaw), bud)
		}
	}
	if chart != "" {
		fmt.Fprintf(&b, "\n![Throughput of a group of hubs and of raw Go by GOMAXPROCS](%s)\n", chart)
	}
	return b.String()
}

// multicoreChart is the section's chart file, beside benchmarks.png.
const multicoreChart = "multicore.png"

// writeMulticoreOutputs writes the section's chart into dir when the
// report has the section.
func writeMulticoreOutputs(rep *report, dir string) error {
	if rep.Multicore == nil {
		return nil
	}
	var png bytes.Buffer
	if err := writeMulticoreChart(&png, rep.Multicore); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, multicoreChart), png.Bytes(), 0o644)
}

// writeMulticoreChart draws one panel per operation: throughput against
// GOMAXPROCS, gevent-go's group in the library's color and raw Go in black,
// with the chart.go typeface.
func writeMulticoreChart(w io.Writer, m *multicoreReport) error {
	const panelW = 4.5 * vg.Inch
	const h = 3.2 * vg.Inch
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(len(m.Rows))*panelW, h), vgimg.UseDPI(144))
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	tiles := draw.Tiles{Rows: 1, Cols: len(m.Rows), PadX: vg.Points(8), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	sans := font.Font{Typeface: "Liberation", Variant: "Sans"}
	for i, mr := range m.Rows {
		p := plot.New()
		for _, sty := range []*draw.TextStyle{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
			sty.Font.Typeface, sty.Font.Variant = sans.Typeface, sans.Variant
		}
		p.Title.Text = mr.Bench + " (" + mr.throughputUnit() + ")"
		p.Title.TextStyle.Font.Size = vg.Points(10)
		p.X.Label.Text = "hubs = GOMAXPROCS"
		p.Y.Label.Text = mr.throughputUnit() + ", median"
		p.Y.Min = 0
		var ticks plot.ConstantTicks
		for _, pt := range mr.Points {
			ticks = append(ticks, plot.Tick{Value: float64(pt.Procs), Label: strconv.Itoa(pt.Procs)})
		}
		p.X.Tick.Marker = ticks
		for _, s := range []struct {
			label string
			col   color.Color
			get   func(*multicorePoint) *result
		}{
			{"gevent-go (group of hubs)", implColors[kindOurs], func(pt *multicorePoint) *result { return pt.Ours }},
			{"raw Go", color.Black, func(pt *multicorePoint) *result { return pt.Raw }},
		} {
			var xys plotter.XYs
			for _, pt := range mr.Points {
				if r := s.get(pt); r.ok() {
					xys = append(xys, plotter.XY{X: float64(pt.Procs), Y: mr.throughput(r.Median)})
				}
			}
			if len(xys) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(xys)
			if err != nil {
				return err
			}
			line.Color, points.Color = s.col, s.col
			line.Width = vg.Points(1.5)
			p.Add(line, points)
			p.Legend.Add(s.label, line, points)
		}
		p.Legend.Top, p.Legend.Left = false, false
		p.Legend.TextStyle.Font.Size = vg.Points(8)
		if len(mr.Points) == 1 {
			p.X.Min, p.X.Max = float64(mr.Points[0].Procs)-1, float64(mr.Points[0].Procs)+1
		}
		p.Draw(tiles.At(dc, i, 0))
	}
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// multicoreChartPath is the section chart's path beside the main chart's
// ("" for none).
func multicoreChartPath(chart string) string {
	if chart == "" {
		return ""
	}
	return filepath.ToSlash(filepath.Join(filepath.Dir(chart), multicoreChart))
}
