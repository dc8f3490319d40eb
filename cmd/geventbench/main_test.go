package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestParseGoBench(t *testing.T) {
	out := []byte(`goos: linux
goarch: amd64
pkg: github.com/gevent-go/gevent/server
BenchmarkEchoServerStreamRawGo-2   	  50000	     17234 ns/op	     58023 req/s	     120 B/op	       2 allocs/op
BenchmarkEchoServerStream   	  50000	     19000 ns/op	     52631 req/s
BenchmarkMemoryParked      	  100000	     16903 ns/op	      3369 bytes/greenlet
PASS
`)
	for _, tc := range []struct {
		name, metric string
		want         float64
		ok           bool
	}{
		{"EchoServerStream", "req/s", 52631, true},
		{"EchoServerStreamRawGo", "req/s", 58023, true},
		{"EchoServerStream", "ns/op", 19000, true},
		{"MemoryParked", "bytes/greenlet", 3369, true},
		{"MemoryParked", "req/s", 0, false},
		{"Echo", "ns/op", 0, false}, // a prefix is not a match
	} {
		got, ok := parseGoBench(out, tc.name, tc.metric)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseGoBench(%s, %s) = %v, %v; want %v, %v", tc.name, tc.metric, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseJSONLines(t *testing.T) {
	out := []byte(`{"bench": "timeout_start_cancel", "unit": "ns/op", "value": 434.8, "n": 500000, "impl": "gevent-22.10.2"}
not json
{"bench": "timeout_with_block", "unit": "ns/op", "value": 1466, "n": 500000, "impl": "gevent-22.10.2"}
`)
	ls := parseJSONLines(out)
	if len(ls) != 2 || ls[0].Value != 434.8 || ls[1].Bench != "timeout_with_block" || ls[0].Impl != "gevent-22.10.2" {
		t.Fatalf("parseJSONLines = %+v", ls)
	}
}

// fakeReport fills every implementation of the rows with runs derived from
// base (ours), raw and gevent figures.
func fakeReport(t *testing.T, names []string, fill func(rr *rowResult)) *report {
	t.Helper()
	rs, err := selectRows(strings.Join(names, ","))
	if err != nil {
		t.Fatal(err)
	}
	rep := newReport(rs, "full", 3, "1s", machine{CPU: "test CPU", Cores: 2, Go: "go1.26", GOMAXPROCS: 1, Gevent: "22.10.2",
		Peers: map[string]string{"ants": "github.com/panjf2000/ants/v2@v2.12.1"}}, 2)
	for _, rr := range rep.Rows {
		fill(rr)
		rr.finish()
	}
	return rep
}

func TestRatiosAndBudget(t *testing.T) {
	rep := fakeReport(t, []string{"spawn_join", "echo_server", "timeout_with_block"}, func(rr *rowResult) {
		switch rr.Bench {
		case "spawn_join":
			rr.get(kindGevent).Runs = []float64{24000, 23000, 25000}
			rr.get(kindOurs).Runs = []float64{650, 600, 200} // median 600
			rr.get(kindRaw).Runs = []float64{800, 900, 700}
		case "echo_server": // req/s: higher is better
			rr.get(kindGevent).Runs = []float64{20000}
			rr.get(kindOurs).Runs = []float64{50000, 40000}
			rr.get(kindRaw).Runs = []float64{50000}
		case "timeout_with_block":
			rr.get(kindOurs).Runs = []float64{50}
			rr.get(kindRaw).Error = "boom"
		}
	})
	sj := rep.Rows[0]
	if o := sj.get(kindOurs); o.Median != 600 || o.Min != 200 || o.Max != 650 {
		t.Errorf("ours summary = %v [%v–%v], want 600 [200–650]", o.Median, o.Min, o.Max)
	}
	if *sj.GeventOverOurs != 24000.0/600 || *sj.OursOverRaw != 600.0/800 {
		t.Errorf("spawn_join ratios = %v, %v", *sj.GeventOverOurs, *sj.OursOverRaw)
	}
	if sj.BudgetMet == nil || *sj.BudgetMet || sj.Budget != "≤ 0.6x" {
		t.Errorf("ours ÷ raw Go of 0.75 must miss the ≤ 0.6x budget: %q %v", sj.Budget, sj.BudgetMet)
	}
	echo := rep.Rows[1]
	// Cost is 1/rate: gevent at 20k req/s costs 2.25x ours at 45k.
	if *echo.GeventOverOurs != 45000.0/20000 || *echo.OursOverRaw != 50000.0/45000 {
		t.Errorf("echo ratios = %v, %v", *echo.GeventOverOurs, *echo.OursOverRaw)
	}
	if echo.BudgetMet == nil || *echo.BudgetMet {
		t.Errorf("45k against raw Go's 50k req/s must miss the ≤ 1.0x (cost) budget: %v", echo.BudgetMet)
	}
	twb := rep.Rows[2]
	if twb.OursOverRaw != nil || twb.GeventOverOurs != nil || twb.BudgetMet != nil {
		t.Errorf("a row missing figures must have no ratios: %+v", twb)
	}
	if fs := rep.failures(); len(fs) != 1 || !strings.Contains(fs[0], "boom") {
		t.Errorf("failures = %q, want the raw Go error", fs)
	}
}

// pool_map's budget also asks ours to beat every Go peer that ran; a peer
// that failed leaves the budget unknown.
func TestBudgetBelowPeers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ants  []float64 // ants' runs; the other peers cost 500
		err   string    // ants' error
		ours  float64
		met   bool
		known bool
	}{
		{"below every peer", []float64{450}, "", 400, true, true},
		{"one peer faster", []float64{350}, "", 400, false, true},
		{"ratio over 0.8x", []float64{450}, "", 420, false, true},
		{"a peer failed", nil, "boom", 400, false, false},
	} {
		rep := fakeReport(t, []string{"pool_map"}, func(rr *rowResult) {
			for _, r := range rr.Results {
				r.Runs = []float64{500}
			}
			rr.get(kindOurs).Runs = []float64{tc.ours}
			ants := rr.get("ants")
			ants.Runs, ants.Error = tc.ants, tc.err
		})
		rr := rep.Rows[0]
		if rr.Budget != "≤ 0.8x, below every Go peer" {
			t.Errorf("budget text = %q", rr.Budget)
		}
		switch {
		case !tc.known && rr.BudgetMet != nil:
			t.Errorf("%s: budget met = %v, want unknown", tc.name, *rr.BudgetMet)
		case tc.known && (rr.BudgetMet == nil || *rr.BudgetMet != tc.met):
			t.Errorf("%s: budget met = %v, want %v", tc.name, rr.BudgetMet, tc.met)
		}
	}
}

func TestMarkdownAndJSON(t *testing.T) {
	var names []string
	for _, r := range rows {
		names = append(names, r.name)
	}
	rep := fakeReport(t, names, func(rr *rowResult) {
		for i, r := range rr.Results {
			if r.Kind != kindGevent {
				r.Runs = []float64{float64(1000 + i), float64(2000 + i), float64(1500 + i)}
			}
		}
		rr.get(kindGevent).Skip = "gevent not run"
		for i, r := range rr.Extra {
			r.Runs = []float64{float64(700 + i)}
		}
	})
	md := rep.markdown("chart.png")
	for _, r := range rows {
		line := regexp.MustCompile("(?m)^\\| `" + r.name + "` .*$").FindString(md)
		if line == "" {
			t.Errorf("no table line for %s", r.name)
			continue
		}
		if !strings.Contains(line, "| not run |") || !strings.Contains(line, "1,501 [1,001–2,001]") {
			t.Errorf("%s line = %q, want gevent not run and ours median [min–max]", r.name, line)
		}
	}
	for _, want := range []string{"Go peers on `pool_map`", "| ants (github.com/panjf2000/ants/v2@v2.12.1) |", "![", "(chart.png)", "median of 3 runs", "test CPU",
		"at GOMAXPROCS=2", "| `pool_map` | ns/op | 700 | 701 | 1.00x |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	js, err := rep.json()
	if err != nil {
		t.Fatal(err)
	}
	var back report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Rows) != len(rows) || back.Rows[0].Results[1].Median != 1501 || back.Machine.Gevent != "22.10.2" {
		t.Errorf("JSON round trip lost data: %s", js[:200])
	}
	// -render's path: the saved report renders the same markdown.
	loaded, err := loadReport(js)
	if err != nil {
		t.Fatal(err)
	}
	if got := loaded.markdown("chart.png"); got != md {
		t.Errorf("re-rendered markdown differs:\n%s\nwant:\n%s", got, md)
	}
}

func TestChartIsAPNG(t *testing.T) {
	rep := fakeReport(t, []string{"spawn_join", "pool_map", "echo_server"}, func(rr *rowResult) {
		for i, r := range rr.Results {
			r.Runs = []float64{float64(100 * (i + 1))}
		}
	})
	var buf bytes.Buffer
	if err := writeChart(&buf, rep); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 200 {
		t.Errorf("chart is %v, too small to read", b)
	}
	// Rows without a raw-Go figure have no bars; with none at all, no chart.
	empty := fakeReport(t, []string{"spawn_join"}, func(*rowResult) {})
	if err := writeChart(io.Discard, empty); err == nil {
		t.Error("a chart with no bars must be an error")
	}
}

func TestReplaceSection(t *testing.T) {
	doc := "# x\n\n## Performance\n" + readmeBegin + "\nold\n" + readmeEnd + "\n\nrest\n"
	got, err := replaceSection(doc, "new table\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# x\n\n## Performance\n" + readmeBegin + "\nnew table\n" + readmeEnd + "\n\nrest\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if again, _ := replaceSection(got, "new table\n"); again != got {
		t.Error("replacing twice is not idempotent")
	}
	if _, err := replaceSection("no markers", "x"); err == nil {
		t.Error("a README without markers must be an error")
	}
}

func TestSelectRows(t *testing.T) {
	rs, err := selectRows("echo_server,spawn_join")
	if err != nil || len(rs) != 2 || rs[0].name != "echo_server" {
		t.Fatalf("selectRows = %v, %v", rs, err)
	}
	if _, err := selectRows("spawn_join,nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("an unknown row must be named in the error: %v", err)
	}
}

// The rows must be the rows of bench/gevent/README.md, which names each
// row's script and Go benchmarks, and every script and Go benchmark they
// name must exist, so that a rename cannot silently drop a column.
func TestRowsMatchGeventAndGoBenchmarks(t *testing.T) {
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, geventScripts, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	matches := regexp.MustCompile("(?m)^\\| `(\\w+\\.py)` \\| `(\\w+)` \\|.*\\| ([^|]*) \\|$").FindAllSubmatch(readme, -1)
	if len(matches) != len(rows) {
		t.Errorf("%s/README.md has %d rows, this command %d", geventScripts, len(matches), len(rows))
	}
	for _, m := range matches {
		script, bench, goBenches := string(m[1]), string(m[2]), string(m[3])
		rs, err := selectRows(bench)
		if err != nil {
			t.Errorf("README row %s has no row here", bench)
			continue
		}
		if rs[0].script != script {
			t.Errorf("row %s runs %s, the README says %s", bench, rs[0].script, script)
		}
		for _, im := range rs[0].impls[:2] { // ours and raw Go
			if !strings.Contains(goBenches, "`"+im.bench.name+"`") {
				t.Errorf("README row %s does not name %s among its Go benchmarks (%s)", bench, im.bench.name, goBenches)
			}
		}
	}
	for _, r := range rows {
		if _, err := os.Stat(filepath.Join(root, geventScripts, r.script)); err != nil {
			t.Errorf("row %s: %v", r.name, err)
		}
		for _, im := range r.impls {
			files, _ := filepath.Glob(filepath.Join(root, im.bench.pkg, "*_test.go"))
			found := false
			for _, f := range files {
				src, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				found = found || bytes.Contains(src, []byte("func Benchmark"+im.bench.name+"(b *testing.B)"))
			}
			if !found {
				t.Errorf("row %s: no %s", r.name, im.bench)
			}
		}
	}
}

// A quick run of one row end to end: builds the test binary, runs ours and
// raw Go, writes the three files.
func TestQuickRunWritesReport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run([]string{"-quick", "-nogevent", "-rows", "timeout_start_cancel", "-also-gomaxprocs", "2", "-out", out}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "| `timeout_start_cancel` ") {
		t.Errorf("stdout lacks the row:\n%s", stdout.String())
	}
	var rep report
	js, err := os.ReadFile(filepath.Join(out, "benchmarks.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	r := rep.Rows[0]
	if r.Bench != "timeout_start_cancel" || len(r.Results[1].Runs) != 1 || r.Results[1].Median <= 0 || len(r.Results[2].Runs) != 1 {
		t.Errorf("report row = %+v", r)
	}
	if len(r.Extra) != 2 || len(r.Extra[0].Runs) != 1 || len(r.Extra[1].Runs) != 1 {
		t.Errorf("extra GOMAXPROCS results = %+v", r.Extra)
	}
	if r.Results[0].Skip == "" || len(r.Results[0].Runs) != 0 {
		t.Errorf("gevent must be skipped with -nogevent: %+v", r.Results[0])
	}
	for _, name := range []string{"benchmarks.md", "benchmarks.png"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}
