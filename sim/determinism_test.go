package sim

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt")

const goldenFile = "testdata/golden.txt"

// goldenHashes runs seeds 1–50 of the reference program under each schedule.
func goldenHashes(t *testing.T) string {
	var b strings.Builder
	fmt.Fprintln(&b, "# Trace hashes of the reference program (refprog_test.go), seeds 1-50.")
	fmt.Fprintln(&b, "# Identical in every process, with -cpu 1,2,4 and -race; go test -run TestGolden -update rewrites it.")
	for _, s := range []Schedule{FIFO, PerSource, Shuffle} {
		for seed := uint64(1); seed <= 50; seed++ {
			var counter int
			r, err := Run(t.Context(), Options{Seed: seed, Schedule: s}, refProgram(&counter))
			if err != nil {
				t.Fatalf("%v seed %d: %v", s, seed, err)
			}
			fmt.Fprintf(&b, "%v %d %016x steps=%d counter=%d elapsed=%v\n", s, seed, r.Hash, r.Steps, counter, r.Elapsed)
		}
	}
	return b.String()
}

// TestGolden pins the hashes of seeds 1–50 across processes, GOMAXPROCS and
// the race detector (CI runs the package with -race and -cpu 1,2,4): a
// difference means a run depends on something outside its seed.
func TestGolden(t *testing.T) {
	got := goldenHashes(t)
	if *update {
		if err := os.WriteFile(goldenFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := lines(got), lines(string(want))
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s line %d:\n got %s\nwant %s", filepath.Base(goldenFile), i+1, g, w)
			}
		}
	}
}

func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestSeedsReplay runs many seeds twice under each schedule: every pair
// is identical, and the seeds explore distinct runs (PerSource and Shuffle
// nearly one per seed; FIFO only through timer ties).
func TestSeedsReplay(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 50
	}
	for _, s := range []Schedule{FIFO, PerSource, Shuffle} {
		distinct := map[uint64]bool{}
		counters := map[int]int{}
		for seed := uint64(1); seed <= uint64(n); seed++ {
			var c1, c2 int
			r1, err1 := Run(t.Context(), Options{Seed: seed, Schedule: s}, refProgram(&c1))
			r2, err2 := Run(t.Context(), Options{Seed: seed, Schedule: s}, refProgram(&c2))
			if err1 != nil || err2 != nil {
				t.Fatalf("%v seed %d: %v, %v", s, seed, err1, err2)
			}
			if r1.Hash != r2.Hash || r1.Steps != r2.Steps || c1 != c2 {
				t.Fatalf("%v seed %d: runs differ: %v / %v", s, seed, r1, r2)
			}
			distinct[r1.Hash] = true
			counters[c1]++
		}
		t.Logf("%v: %d distinct hashes of %d seeds; final counters %v", s, len(distinct), n, counters)
		if s != FIFO && len(distinct) < n*99/100 {
			t.Errorf("%v: only %d distinct hashes in %d seeds", s, len(distinct), n)
		}
		if s == FIFO && len(distinct) < 2 {
			t.Errorf("FIFO: the seed chose no timer tie: one hash for %d seeds", n)
		}
	}
}
