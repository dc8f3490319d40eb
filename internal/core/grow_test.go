package core

import "testing"

// appendDoubling keeps append's order and contents, and doubles a full
// slice of 256 or more elements (append alone would grow it by about
// 1.25x), so a burst of 100k tasks reallocates the queue a handful of times.
func TestAppendDoubling(t *testing.T) {
	var q []task
	grows := 0
	for i := range 100_000 {
		c := cap(q)
		q = appendDoubling(q, task{src: uint32(i)})
		if cap(q) != c {
			grows++
			if c >= 256 && cap(q) != 2*c {
				t.Fatalf("a full queue of %d grew to %d, want %d", c, cap(q), 2*c)
			}
		}
	}
	for i, x := range q {
		if x.src != uint32(i) {
			t.Fatalf("q[%d].src = %d after appending in order", i, x.src)
		}
	}
	if grows > 20 {
		t.Errorf("%d reallocations for 100k appends, want at most 20", grows)
	}
}
