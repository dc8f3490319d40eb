package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// result is one implementation's figures on one row.
type result struct {
	Impl   string    `json:"impl"`
	Label  string    `json:"label"`
	Kind   string    `json:"kind"`
	Source string    `json:"source"`         // the Go benchmark or the gevent script
	Runs   []float64 `json:"runs,omitempty"` // one per fresh process, in run order
	Median float64   `json:"median,omitempty"`
	Min    float64   `json:"min,omitempty"`
	Max    float64   `json:"max,omitempty"`
	Error  string    `json:"error,omitempty"`   // a run that failed
	Skip   string    `json:"skipped,omitempty"` // why it was not run (gevent missing)
}

func (r *result) ok() bool { return len(r.Runs) > 0 }

// summarize computes the median, min and max of the runs.
func (r *result) summarize() {
	if !r.ok() {
		return
	}
	s := slices.Sorted(slices.Values(r.Runs))
	r.Min, r.Max = s[0], s[len(s)-1]
	if n := len(s); n%2 == 1 {
		r.Median = s[n/2]
	} else {
		r.Median = (s[n/2-1] + s[n/2]) / 2
	}
}

// rowResult is one row of the report.
type rowResult struct {
	Bench    string    `json:"bench"`
	Op       string    `json:"op"`
	Unit     string    `json:"unit"`
	RawShape string    `json:"raw_shape"`
	Results  []*result `json:"results"` // gevent, ours, raw, then peers
	// Extra are ours and raw Go at the report's ExtraProcs.
	Extra []*result `json:"extra,omitempty"`
	// Cost ratios of the medians (1/rate for req/s): above 1, the first is
	// slower. Absent when a side has no figure.
	GeventOverOurs *float64 `json:"gevent_over_ours,omitempty"`
	OursOverRaw    *float64 `json:"ours_over_raw,omitempty"`
	// Budget is docs/design.md §8's budget of the row, and BudgetMet
	// whether ours meets it (absent without the figures it needs).
	Budget    string `json:"budget,omitempty"`
	BudgetMet *bool  `json:"budget_met,omitempty"`

	row *row
}

func (rr *rowResult) get(id string) *result {
	for _, r := range rr.Results {
		if r.Impl == id {
			return r
		}
	}
	return nil
}

// costRatio is cost(a)/cost(b) of the medians, or nil.
func (rr *rowResult) costRatio(a, b string) *float64 {
	return rr.ratioOf(rr.get(a), rr.get(b))
}

// ratioOf is cost(ra)/cost(rb) of the medians, or nil.
func (rr *rowResult) ratioOf(ra, rb *result) *float64 {
	if ra == nil || rb == nil || !ra.ok() || !rb.ok() || ra.Median <= 0 || rb.Median <= 0 {
		return nil
	}
	q := rr.row.cost(ra.Median) / rr.row.cost(rb.Median)
	return &q
}

// finish summarizes the runs and computes the ratios and the budget check.
func (rr *rowResult) finish() {
	for _, r := range slices.Concat(rr.Results, rr.Extra) {
		r.summarize()
	}
	rr.GeventOverOurs = rr.costRatio(kindGevent, kindOurs)
	rr.OursOverRaw = rr.costRatio(kindOurs, kindRaw)
	rr.Budget = rr.row.budget.text()
	rr.BudgetMet = rr.budgetMet()
}

// budgetMet reports whether ours meets the row's budget, or nil when the
// row has none or lacks a figure the budget needs.
func (rr *rowResult) budgetMet() *bool {
	bg := rr.row.budget
	if bg.limit == 0 || rr.OursOverRaw == nil {
		return nil
	}
	met := *rr.OursOverRaw <= bg.limit
	if bg.belowPeers {
		for _, r := range rr.Results {
			if r.Kind != kindPeer {
				continue
			}
			q := rr.costRatio(kindOurs, r.Impl)
			if q == nil {
				return nil // a peer that did not run: unknown
			}
			met = met && *q < 1
		}
	}
	return &met
}

// report is everything one run of the command measured.
type report struct {
	// Multicore is the multi-core section (multicore.go), nil when not run.
	Multicore *multicoreReport `json:"multicore,omitempty"`

	Generated time.Time `json:"generated"`
	Mode      string    `json:"mode"` // full or quick
	Count     int       `json:"count"`
	Benchtime string    `json:"benchtime"`
	Machine   machine   `json:"machine"`
	// ExtraProcs is the GOMAXPROCS of the rows' Extra results (0: none).
	ExtraProcs int          `json:"extra_gomaxprocs,omitempty"`
	Notes      []string     `json:"notes,omitempty"`
	Rows       []*rowResult `json:"rows"`
	// Growth is the growth section (growth.go), nil when not run.
	Growth *growthReport `json:"growth,omitempty"`
}

func newReport(rs []row, mode string, count int, benchtime string, m machine, extraProcs int) *report {
	rep := &report{Generated: time.Now().UTC().Truncate(time.Second), Mode: mode, Count: count, Benchtime: benchtime,
		Machine: m, ExtraProcs: extraProcs}
	for i := range rs {
		rw := &rs[i]
		rr := &rowResult{Bench: rw.name, Op: rw.op, Unit: rw.unit, RawShape: rw.rawShape, row: rw}
		rr.Results = append(rr.Results, &result{Impl: geventImpl.id, Label: geventImpl.label, Kind: kindGevent,
			Source: geventScripts + "/" + rw.script + strings.Join(append([]string{""}, rw.args...), " ")})
		for _, im := range rw.impls {
			r := &result{Impl: im.id, Label: im.label, Kind: im.kind, Source: im.bench.String()}
			rr.Results = append(rr.Results, r)
			if extraProcs > 0 && (im.kind == kindOurs || im.kind == kindRaw) {
				x := *r
				rr.Extra = append(rr.Extra, &x)
			}
		}
		rep.Rows = append(rep.Rows, rr)
	}
	return rep
}

// loadReport reads a report written by json, reattaching each row to its
// definition and recomputing what derives from the runs.
func loadReport(data []byte) (*report, error) {
	var rep report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, err
	}
	rep.Multicore.finish()
	for _, rr := range rep.Rows {
		i := slices.IndexFunc(rows, func(r row) bool { return r.name == rr.Bench })
		if i < 0 {
			return nil, fmt.Errorf("unknown row %q", rr.Bench)
		}
		rr.row = &rows[i]
		rr.Op, rr.Unit, rr.RawShape = rr.row.op, rr.row.unit, rr.row.rawShape
		rr.finish()
	}
	if err := rep.Growth.finish(); err != nil {
		return nil, err
	}
	return &rep, nil
}

// failures lists the implementations that were due to run and failed.
func (rep *report) failures() []string {
	var fs []string
	for _, rr := range rep.Rows {
		for _, r := range rr.Results {
			if r.Error != "" {
				fs = append(fs, rr.Bench+" "+r.Label+": "+r.Error)
			}
		}
		for _, r := range rr.Extra {
			if r.Error != "" {
				fs = append(fs, fmt.Sprintf("%s %s at GOMAXPROCS=%d: %s", rr.Bench, r.Label, rep.ExtraProcs, r.Error))
			}
		}
	}
	return append(fs, rep.Multicore.failures()...)
}

func (rep *report) json() ([]byte, error) {
	return json.MarshalIndent(rep, "", "  ")
}

// markdown renders the tables, the chart and how they were made; chart is
// the image's path relative to the document ("" for none).
func (rep *report) markdown(chart string) string {
	var b bytes.Buffer
	m := rep.Machine
	geventLabel := "gevent"
	if m.Gevent != "" {
		geventLabel = "gevent " + m.Gevent
	}
	fmt.Fprintf(&b, "| operation | unit | %s | gevent-go | raw Go | gevent ÷ ours | ours ÷ raw Go | budget: ours ÷ raw Go |\n", geventLabel)
	b.WriteString("|---|---|--:|--:|--:|--:|--:|---|\n")
	for _, rr := range rep.Rows {
		fmt.Fprintf(&b, "| `%s` %s | %s | %s | %s | %s | %s | %s | %s |\n", rr.Bench, rr.Op, rr.Unit,
			figure(rr.get(kindGevent)), figure(rr.get(kindOurs)), figure(rr.get(kindRaw)),
			ratio(rr.GeventOverOurs), ratio(rr.OursOverRaw), budgetCell(rr))
	}
	for _, rr := range rep.Rows {
		if len(rr.Results) <= 3 {
			continue
		}
		fmt.Fprintf(&b, "\nGo peers on `%s` (%s, %s):\n\n", rr.Bench, rr.Op, rr.Unit)
		b.WriteString("| implementation | " + rr.Unit + " | ÷ raw Go | ÷ gevent-go |\n|---|--:|--:|--:|\n")
		for _, r := range rr.Results[1:] {
			name := r.Label
			if v := m.Peers[r.Impl]; v != "" {
				name += " (" + v + ")"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, figure(r),
				ratio(rr.costRatio(r.Impl, kindRaw)), ratio(rr.costRatio(r.Impl, kindOurs)))
		}
	}
	if rep.ExtraProcs > 0 {
		fmt.Fprintf(&b, "\nExtra information: gevent-go and raw Go at GOMAXPROCS=%d (the hub still runs its greenlets on one goroutine; "+
			"the runtime, the garbage collector and raw Go's goroutines may use the other cores):\n\n", rep.ExtraProcs)
		b.WriteString("| operation | unit | gevent-go | raw Go | ours ÷ raw Go |\n|---|---|--:|--:|--:|\n")
		for _, rr := range rep.Rows {
			if len(rr.Extra) < 2 {
				continue
			}
			ours, raw := rr.Extra[0], rr.Extra[1]
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", rr.Bench, rr.Unit, figure(ours), figure(raw), ratio(rr.ratioOf(ours, raw)))
		}
	}
	if chart != "" {
		fmt.Fprintf(&b, "\n![Cost of each operation relative to raw Go, log scale](%s)\n", chart)
	}
	b.WriteString("\n")
	vm := ""
	if m.VM {
		vm = ", virtual machine"
	}
	fmt.Fprintf(&b, "- **Machine**: %s (%d cores%s), %s; %s", m.CPU, m.Cores, vm, m.Kernel, m.Go)
	if m.Gevent != "" {
		fmt.Fprintf(&b, "; gevent %s with greenlet %s on CPython %s", m.Gevent, m.Greenlet, m.Python)
	}
	var peers []string
	for _, im := range poolPeers {
		if v := m.Peers[im.id]; v != "" {
			peers = append(peers, v)
		}
	}
	if len(peers) > 0 {
		b.WriteString("; " + strings.Join(peers, ", "))
	}
	fmt.Fprintf(&b, ". Measured %s (%s mode).\n", rep.Generated.Format("2006-01-02 15:04 UTC"), rep.Mode)
	if rep.Count == 1 {
		b.WriteString("- **Figures**: one run each, in a fresh process.\n")
	} else {
		fmt.Fprintf(&b, "- **Figures**: median of %d runs with [min–max], each run a fresh process; "+
			"each round runs every implementation once, so noise hits them alike.\n", rep.Count)
	}
	b.WriteString("- **Ratios** compare the medians' cost (time or bytes per op; 1/rate for req/s): " +
		"gevent ÷ ours above 1 means gevent-go is faster; ours ÷ raw Go below 1 means gevent-go beats the raw-Go shape.\n")
	b.WriteString("- **Budgets** are docs/design.md §8's, as ratios of this run's medians (ours ÷ raw Go, in cost), " +
		"so that they mean the same on any machine; ✓ met, ✗ missed.\n")
	fmt.Fprintf(&b, "- **Go settings**: GOMAXPROCS=%d (gevent runs on one thread); ", m.GOMAXPROCS)
	if rep.Mode == "quick" {
		b.WriteString("quick mode: every benchmark on a small workload (gevent's --n and Go's -benchtime Nx), " +
			"to check that all still run; not numbers to quote.\n")
	} else {
		fmt.Fprintf(&b, "-benchtime %s, except: %s.\n", rep.Benchtime, benchtimeExceptions)
	}
	b.WriteString("- **Raw Go shapes**: ")
	for i, rr := range rep.Rows {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "`%s` %s", rr.Bench, rr.RawShape)
	}
	b.WriteString(".\n")
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	b.WriteString(rep.Multicore.markdown(multicoreChartPath(chart)))
	return b.String()
}

// figure is "median [min–max]", or why there is none.
func figure(r *result) string {
	switch {
	case r == nil:
		return "—"
	case !r.ok():
		return "not run"
	case len(r.Runs) == 1:
		return number(r.Median)
	}
	return fmt.Sprintf("%s [%s–%s]", number(r.Median), number(r.Min), number(r.Max))
}

// number prints v with thousands separators, and one decimal below 100.
func number(v float64) string {
	if math.Abs(v) < 100 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return group(v)
}

// group prints v rounded to an integer, with thousands separators.
func group(v float64) string {
	s := strconv.FormatFloat(math.Round(math.Abs(v)), 'f', 0, 64)
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func ratio(q *float64) string {
	if q == nil {
		return "—"
	}
	return ratioText(*q)
}

func ratioText(q float64) string {
	switch {
	case q >= 10:
		return strconv.FormatFloat(q, 'f', 0, 64) + "x"
	case q >= 1:
		return strconv.FormatFloat(q, 'f', 1, 64) + "x"
	}
	return strconv.FormatFloat(q, 'f', 2, 64) + "x"
}

func budgetCell(rr *rowResult) string {
	switch {
	case rr.Budget == "":
		return "—"
	case rr.BudgetMet == nil:
		return rr.Budget
	case *rr.BudgetMet:
		return rr.Budget + " ✓"
	}
	return rr.Budget + " ✗"
}

// README markers around the section this command rewrites.
const (
	readmeBegin = "<!-- geventbench:begin -->"
	readmeEnd   = "<!-- geventbench:end -->"
)

// replaceSection puts body between the markers of doc.
func replaceSection(doc, body string) (string, error) {
	i := strings.Index(doc, readmeBegin)
	j := strings.Index(doc, readmeEnd)
	if i < 0 || j < i {
		return "", fmt.Errorf("no %s ... %s section", readmeBegin, readmeEnd)
	}
	return doc[:i+len(readmeBegin)] + "\n" + body + doc[j:], nil
}
