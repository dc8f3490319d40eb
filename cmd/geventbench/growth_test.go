package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestParseGrowthSizes(t *testing.T) {
	for _, tc := range []struct {
		in    string
		quick bool
		want  []int
		err   bool
	}{
		{"auto", false, growthFull, false},
		{"auto", true, growthQuick, false},
		{"none", false, nil, false},
		{"", true, nil, false},
		{"100000,1000,1000", false, []int{1000, 100000}, false},
		{"5000", false, nil, true}, // no sub-benchmark at 5k
		{"1k", false, nil, true},
	} {
		got, err := parseGrowthSizes(tc.in, tc.quick)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("parseGrowthSizes(%q, %v) = %v, %v; want %v, error %v", tc.in, tc.quick, got, err, tc.want, tc.err)
		}
	}
}

// fakeGrowth is a growth section at every size with ours at 2x raw Go and
// gevent at 10x ours wherever gevent runs.
func fakeGrowth(t *testing.T) *report {
	t.Helper()
	rep := fakeReport(t, []string{"spawn_join"}, func(rr *rowResult) {})
	rep.Growth = newGrowth(growthFull)
	for _, s := range rep.Growth.Rows {
		for _, p := range s.Points {
			base := float64(p.N) / 1000
			p.get(kindRaw).Runs = []float64{100 * base, 90 * base, 110 * base}
			p.get(kindOurs).Runs = []float64{200 * base, 150 * base, 250 * base}
			if g := p.get(kindGevent); g.Skip == "" {
				g.Runs = []float64{2000 * base}
			}
		}
	}
	if err := rep.Growth.finish(); err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestGrowthRatiosMarkdownAndJSON(t *testing.T) {
	rep := fakeGrowth(t)
	g := rep.Growth
	if len(g.Rows) != len(growthDefs) || len(g.Rows[0].Points) != len(growthFull) {
		t.Fatalf("growth has %d rows of %d points", len(g.Rows), len(g.Rows[0].Points))
	}
	p := g.Rows[0].Points[1] // spawn_join at 10k
	if p.N != 10_000 || *p.OursOverRaw != 2 || *p.GeventOverOurs != 10 {
		t.Errorf("spawn_join N=%d ratios = %v, %v; want 2, 10", p.N, *p.OursOverRaw, *p.GeventOverOurs)
	}
	// gevent's memory_parked is capped at 100k, with the reason in the
	// report; the other columns still run at 1M.
	mem := g.Rows[2]
	last := mem.Points[len(mem.Points)-1]
	if mem.Bench != "memory_parked" || last.get(kindGevent).Skip == "" || last.GeventOverOurs != nil || last.OursOverRaw == nil {
		t.Errorf("memory_parked at 1M: gevent %+v, ratios %v %v", last.get(kindGevent), last.GeventOverOurs, last.OursOverRaw)
	}
	if mem.Note == "" || g.Rows[0].Note != "" {
		t.Errorf("only a capped series has a note: %q / %q", mem.Note, g.Rows[0].Note)
	}
	md := g.markdown("growth.png", geventColumn(rep), rep.Count)
	for _, want := range []string{
		"## Growth", "`spawn_join`", "`sleep_timers`", "`memory_parked`", "| N | gevent 22.10.2 | gevent-go | raw Go |",
		"| 10,000 | 20,000 | 2,000 [1,500–2,500] | 1,000 [900–1,100] | 10x | 2.0x |",
		"| 1,000,000 | not run (see below) |", mem.Note, "(growth.png)", "1k, 10k, 100k and 1M",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("growth markdown lacks %q:\n%s", want, md)
		}
	}
	// The saved report renders the same section again (-render).
	js, err := rep.json()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := loadReport(js)
	if err != nil {
		t.Fatal(err)
	}
	if got := loaded.Growth.markdown("growth.png", geventColumn(loaded), loaded.Count); got != md {
		t.Errorf("re-rendered growth differs:\n%s\nwant:\n%s", got, md)
	}
	// A report without the section has none, in JSON and markdown.
	rep.Growth = nil
	js, _ = rep.json()
	if bytes.Contains(js, []byte(`"growth"`)) || rep.Growth.markdown("x.png", "gevent", 1) != "" {
		t.Error("a report without growth must not mention it")
	}
	var bad map[string]any
	if err := json.Unmarshal(js, &bad); err != nil {
		t.Fatal(err)
	}
	bad["growth"] = map[string]any{"sizes": []int{1000}, "rows": []any{map[string]any{"bench": "nope"}}}
	js, _ = json.Marshal(bad)
	if _, err := loadReport(js); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("an unknown growth row must be an error: %v", err)
	}
}

func TestGrowthChartIsAPNG(t *testing.T) {
	rep := fakeGrowth(t)
	var buf bytes.Buffer
	if err := writeGrowthChart(&buf, rep.Growth, rep); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 1200 || b.Dy() < 400 {
		t.Errorf("growth chart is %v, too small for three panels", b)
	}
	empty := newGrowth(growthQuick)
	if err := writeGrowthChart(&buf, empty, rep); err == nil {
		t.Error("a growth chart with no figure must be an error")
	}
}

// Every growth benchmark exists in the library's root package with a
// sub-benchmark per size of growthFull.
func TestGrowthBenchmarksExist(t *testing.T) {
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "*_test.go"))
	var src []byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, data...)
	}
	for _, d := range growthDefs {
		for _, name := range []string{d.ours, d.raw} {
			if !bytes.Contains(src, []byte("func Benchmark"+name+"(b *testing.B)")) {
				t.Errorf("growth row %s: no Benchmark%s in the root package", d.name, name)
			}
		}
		if _, err := os.Stat(filepath.Join(root, geventScripts, d.script)); err != nil {
			t.Errorf("growth row %s: %v", d.name, err)
		}
	}
	m := regexp.MustCompile(`var growthSizes = \[\]int\{([^}]*)\}`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no growthSizes in the root package's benchmarks")
	}
	want := []string{}
	for _, n := range growthFull {
		want = append(want, strings.ReplaceAll(group(float64(n)), ",", "_"))
	}
	if got := strings.Join(strings.Fields(strings.ReplaceAll(string(m[1]), ",", " ")), ", "); got != strings.Join(want, ", ") {
		t.Errorf("growthSizes in the root package = %s, want %s", got, strings.Join(want, ", "))
	}
}

// A quick run with one growth size end to end: the root package's growth
// benchmarks at N=1000 for ours and raw Go, the section in the markdown,
// the JSON and growth.png.
func TestQuickRunWritesGrowth(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run([]string{"-quick", "-nogevent", "-rows", "timeout_start_cancel", "-growth", "1000", "-also-gomaxprocs", "0", "-out", out}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "## Growth") {
		t.Errorf("stdout lacks the growth section:\n%s", stdout.String())
	}
	js, err := os.ReadFile(filepath.Join(out, "benchmarks.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Growth == nil || len(rep.Growth.Rows) != len(growthDefs) {
		t.Fatalf("growth = %+v", rep.Growth)
	}
	for _, s := range rep.Growth.Rows {
		p := s.Points[0]
		if len(s.Points) != 1 || p.N != 1000 {
			t.Errorf("%s points = %+v", s.Bench, s.Points)
			continue
		}
		for _, r := range p.Results {
			ran := len(r.Runs) == 1
			if want := r.Kind != kindGevent; ran != want {
				t.Errorf("%s N=1000 %s: runs %v, want run: %v", s.Bench, r.Label, r.Runs, want)
			}
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "benchmarks.md"))
	if err != nil || !bytes.Contains(md, []byte("(growth.png)")) {
		t.Errorf("benchmarks.md lacks the growth chart: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(out, "growth.png")); err != nil || fi.Size() == 0 {
		t.Errorf("growth.png: %v", err)
	}
}
