package main

import (
	"bytes"
	"image/png"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestParseMulticore(t *testing.T) {
	all := make([]int, runtime.NumCPU())
	for i := range all {
		all[i] = i + 1
	}
	for _, tc := range []struct {
		in        string
		rowsGiven bool
		want      []int
		err       bool
	}{
		{"auto", false, all, false},
		{"auto", true, nil, false},
		{"none", false, nil, false},
		{"4,1,2,2", false, []int{1, 2, 4}, false},
		{"0", false, nil, true},
		{"x", false, nil, true},
	} {
		got, err := parseMulticore(tc.in, tc.rowsGiven)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("parseMulticore(%q, %v) = %v, %v; want %v (error %v)", tc.in, tc.rowsGiven, got, err, tc.want, tc.err)
		}
	}
}

// fakeMulticore fills the section at GOMAXPROCS 1 and 2: echo (req/s) and
// spawn_join (ns/op).
func fakeMulticore() *multicoreReport {
	m := newMulticore([]int{1, 2})
	for _, mr := range m.Rows {
		for _, pt := range mr.Points {
			switch {
			case mr.Bench == "echo_server" && pt.Procs == 1:
				pt.Ours.Runs, pt.Raw.Runs = []float64{40000, 50000, 45000}, []float64{50000}
			case mr.Bench == "echo_server": // 2: 1.25x raw Go's throughput meets ≥ 1.2x
				pt.Ours.Runs, pt.Raw.Runs = []float64{100000}, []float64{80000}
			case pt.Procs == 1:
				pt.Ours.Runs, pt.Raw.Runs = []float64{500}, []float64{1000}
			default: // 2: 1.1x raw Go's cost misses ≤ 1.0x
				pt.Ours.Runs, pt.Raw.Runs = []float64{1100}, []float64{1000}
			}
		}
	}
	m.finish()
	return m
}

func TestMulticoreRatiosAndBudget(t *testing.T) {
	m := fakeMulticore()
	echo, spawn := m.Rows[0], m.Rows[1]
	if q := echo.Points[0].OursOverRaw; q == nil || *q != 50000.0/45000 {
		t.Errorf("echo at 1: ours ÷ raw Go = %v, want cost ratio %v", q, 50000.0/45000)
	}
	if echo.Points[0].BudgetMet != nil {
		t.Error("the budget is checked below the core count")
	}
	if b := echo.Points[1].BudgetMet; b == nil || !*b {
		t.Errorf("echo at 2: 1.25x raw Go's throughput must meet the budget: %v", b)
	}
	if b := spawn.Points[1].BudgetMet; b == nil || *b {
		t.Errorf("spawn_join at 2: 1.1x raw Go's cost must miss the budget: %v", b)
	}
	if got := spawn.tput(spawn.Points[0].Ours); got != "2,000,000" {
		t.Errorf("spawn throughput at 500 ns/op = %q, want 2,000,000 greenlets/s", got)
	}
	md := m.markdown("docs/multicore.png")
	for _, want := range []string{
		"### Every core: a group of hubs",
		"| 2 | 100,000 | 80,000 | 0.80x | ✓ |",
		"| 1 | 45,000 [40,000–50,000] | 50,000 | 1.1x | — |",
		"| 2 | 909,091 | 1,000,000 | 1.1x | ✗ |",
		"![Throughput of a group of hubs and of raw Go by GOMAXPROCS](docs/multicore.png)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	var nilReport *multicoreReport
	if nilReport.markdown("x") != "" || nilReport.failures() != nil {
		t.Error("a section not run renders or fails")
	}
	m.Rows[0].Points[0].Raw.Error = "boom"
	if fs := m.failures(); len(fs) != 1 || !strings.Contains(fs[0], "echo_server raw Go at GOMAXPROCS=1: boom") {
		t.Errorf("failures = %q", fs)
	}
}

func TestMulticoreChartAndReport(t *testing.T) {
	m := fakeMulticore()
	var buf bytes.Buffer
	if err := writeMulticoreChart(&buf, m); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 1000 || b.Dy() < 300 {
		t.Errorf("chart is %v", b)
	}
	rep := fakeReport(t, []string{"spawn_join"}, func(rr *rowResult) {
		rr.get(kindOurs).Runs = []float64{600}
		rr.get(kindRaw).Runs = []float64{800}
	})
	rep.Multicore = m
	if md := rep.markdown("benchmarks.png"); !strings.Contains(md, "](multicore.png)") {
		t.Errorf("the report's markdown lacks the section's chart beside benchmarks.png:\n%s", md)
	}
	js, err := rep.json()
	if err != nil {
		t.Fatal(err)
	}
	back, err := loadReport(js)
	if err != nil {
		t.Fatal(err)
	}
	if q := back.Multicore.Rows[0].Points[1].OursOverRaw; q == nil || *q != 0.8 {
		t.Errorf("ratio after a JSON round trip = %v", q)
	}
	if b := back.Multicore.Rows[1].Points[1].BudgetMet; b == nil || *b {
		t.Errorf("budget after a JSON round trip = %v", b)
	}
}
