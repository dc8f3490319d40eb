package core

import (
	"cmp"
	"math"
	"slices"
	"testing"
	"time"
)

// FuzzTimerHeap runs random push, remove, re-arm and pop-minimum steps on a
// timerHeap and checks it against a plain slice after every step: the heap
// property, every armed timer's idx naming its slot, a removed timer's idx 0,
// and the minimum popped being the (when, seq) minimum of the model. Deadlines
// repeat on purpose (equal deadlines are ordered by seq) and include the
// int64 extremes.
func FuzzTimerHeap(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 3, 0, 3, 0, 3, 0})
	f.Add([]byte{0, 10, 0, 9, 0, 1, 0, 0, 2, 1, 3, 0, 1, 2, 1, 3, 3, 0, 3, 0, 3, 0})
	f.Add([]byte{0, 5, 0, 5, 0, 5, 0, 5, 2, 2, 1, 0, 2, 0, 3, 0, 3, 0, 3, 0, 3, 0})
	f.Add([]byte{0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 2, 3, 2, 0, 1, 4, 1, 6, 2, 5, 3, 0, 3, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		whens := []int64{math.MinInt64, -1, 0, 1, 2, 3, 5, 8, 1 << 40, math.MaxInt64 - 1, math.MaxInt64}
		var (
			h     timerHeap
			armed []*timer // the model: armed timers, unordered
			all   []*timer
			seq   uint64
			seqOf = map[*timer]uint64{} // the seq each timer was last armed with
		)
		minOf := func() *timer {
			return slices.MinFunc(armed, func(a, b *timer) int {
				return cmp.Or(cmp.Compare(a.when, b.when), cmp.Compare(seqOf[a], seqOf[b]))
			})
		}
		disarm := func(tm *timer) { armed = slices.DeleteFunc(armed, func(x *timer) bool { return x == tm }) }
		for step := 0; len(data) >= 2 && step < 400; step++ { // checks are quadratic: keep runs short
			op, arg := data[0], int(data[1])
			data = data[2:]
			switch op % 4 {
			case 0: // arm a new timer
				seq++
				tm := &timer{when: whens[arg%len(whens)]}
				seqOf[tm] = seq
				h.push(tm, seq)
				all = append(all, tm)
				armed = append(armed, tm)
			case 1: // re-arm a disarmed timer (timers are reused)
				var idle []*timer
				for _, tm := range all {
					if tm.idx == 0 {
						idle = append(idle, tm)
					}
				}
				if len(idle) == 0 {
					continue
				}
				tm := idle[arg%len(idle)]
				seq++
				tm.when, seqOf[tm] = whens[(arg/7)%len(whens)], seq
				h.push(tm, seq)
				armed = append(armed, tm)
			case 2: // disarm an armed timer
				if len(armed) == 0 {
					continue
				}
				tm := armed[arg%len(armed)]
				h.remove(tm)
				disarm(tm)
			case 3: // pop the minimum, as collectDue does
				if len(h) == 0 {
					continue
				}
				want := minOf()
				if got := h[0].t; got != want {
					t.Fatalf("step %d: heap minimum (when %d, seq %d), want (when %d, seq %d)",
						step, got.when, seqOf[got], want.when, seqOf[want])
				}
				if got := h.popMin(); got != want || got.idx != 0 {
					t.Fatalf("step %d: popMin = %p (idx %d), want %p (idx 0)", step, got, got.idx, want)
				}
				disarm(want)
			}
			checkTimerHeap(t, step, h, armed, all, seqOf)
		}
		// Draining pops in (when, seq) order.
		var prev timerSlot
		for i := 0; len(h) > 0; i++ {
			s := h[0]
			if i > 0 && s.before(&prev) {
				t.Fatalf("drain: (when %d, seq %d) popped after (when %d, seq %d)", s.when, s.seq, prev.when, prev.seq)
			}
			h.remove(s.t)
			prev = s
		}
	})
}

func checkTimerHeap(t *testing.T, step int, h timerHeap, armed, all []*timer, seqOf map[*timer]uint64) {
	t.Helper()
	if len(h) != len(armed) {
		t.Fatalf("step %d: heap holds %d timers, %d armed", step, len(h), len(armed))
	}
	for i, s := range h {
		tm := s.t
		if int(tm.idx) != i+1 {
			t.Fatalf("step %d: timer in slot %d has idx %d", step, i, tm.idx)
		}
		if s.when != tm.when || s.seq != seqOf[tm] {
			t.Fatalf("step %d: slot %d holds key (%d, %d), its timer (%d, %d)", step, i, s.when, s.seq, tm.when, seqOf[tm])
		}
		if p := (i - 1) / 4; i > 0 && s.before(&h[p]) {
			t.Fatalf("step %d: slot %d (when %d) sorts before its parent (when %d)", step, i, s.when, h[p].when)
		}
	}
	for _, tm := range all {
		in := slices.Contains(armed, tm)
		if in != (tm.idx > 0) || in && h[tm.idx-1].t != tm {
			t.Fatalf("step %d: timer (when %d, seq %d) armed=%v but idx=%d", step, tm.when, seqOf[tm], in, tm.idx)
		}
	}
}

// TestDeadlineAfter pins the hub's deadline arithmetic: d <= 0 is now, a
// sum past math.MaxInt64 saturates there (the timer never fires) instead of
// wrapping into the past, and nothing below the limit is rounded.
func TestDeadlineAfter(t *testing.T) {
	const max = math.MaxInt64
	for _, tt := range []struct {
		now  int64
		d    time.Duration
		want int64
	}{
		{0, 0, 0},
		{5, -1, 5},
		{5, math.MinInt64, 5},
		{5, 1, 6},
		{0, max, max},
		{1, max, max},
		{1, max - 1, max},
		{1, max - 2, max - 1},
		{1e9, time.Duration(max - 1e9), max},
		{1e9, time.Duration(max - 1e9 + 1), max},
		{1e9, time.Duration(max/2 + 1), 1e9 + max/2 + 1},
		{max / 2, time.Duration(max/2 + 2), max},
		{max, 1, max},
	} {
		if got := deadlineAfter(tt.now, tt.d); got != tt.want {
			t.Errorf("deadlineAfter(%d, %d) = %d, want %d", tt.now, int64(tt.d), got, tt.want)
		}
	}
}
