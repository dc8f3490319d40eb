package core

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLiveSetModel checks the live set against a plain slice under random
// adds and removes: the same greenlets in spawn order, every greenlet's slot
// pointing at itself, and an array that never grows while half of it is
// holes (so holes do not pile up).
func TestLiveSetModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var s liveSet
	var model []*G
	maxLen := 0
	for step := range 200_000 {
		// Phases of growth and shrinkage, so that compaction runs both in
		// place and into a smaller array.
		grow := (step/20_000)%2 == 0
		if len(model) == 0 || (grow && rng.IntN(3) != 0) || (!grow && rng.IntN(3) == 0) {
			g := &G{}
			oldCap, holes := s.capacity(), s.len-s.n
			s.add(g)
			model = append(model, g)
			if s.capacity() > oldCap && 2*holes >= oldCap && oldCap > 0 {
				t.Fatalf("step %d: the array grew from %d with %d holes", step, oldCap, holes)
			}
		} else {
			i := rng.IntN(len(model))
			s.remove(model[i])
			if model[i].liveIdx != 0 {
				t.Fatalf("step %d: removed greenlet keeps slot %d", step, model[i].liveIdx)
			}
			model = slices.Delete(model, i, i+1)
		}
		if s.n != len(model) {
			t.Fatalf("step %d: n = %d, want %d", step, s.n, len(model))
		}
		maxLen = max(maxLen, s.len)
		if step%997 != 0 {
			continue
		}
		var got []*G
		s.each(func(g *G) bool {
			got = append(got, g)
			return true
		})
		if !slices.Equal(got, model) {
			t.Fatalf("step %d: each gives %d greenlets out of order or wrong, want %d", step, len(got), len(model))
		}
		for i := range s.len {
			if g := *s.at(i); g != nil && int(g.liveIdx) != i+1 {
				t.Fatalf("step %d: slot %d holds a greenlet numbered %d", step, i, g.liveIdx)
			}
		}
	}
	for _, g := range model {
		s.remove(g)
	}
	if s.len != 0 || s.n != 0 {
		t.Fatalf("emptied set keeps %d slots, n = %d", s.len, s.n)
	}
	if maxLen < 10_000 {
		t.Fatalf("the set peaked at %d slots: the phases did not exercise it", maxLen)
	}
}

// TestLiveSetEachStops checks that each stops when f returns false.
func TestLiveSetEachStops(t *testing.T) {
	var s liveSet
	for range 5 {
		s.add(&G{})
	}
	calls := 0
	s.each(func(*G) bool {
		calls++
		return calls < 2
	})
	if calls != 2 {
		t.Fatalf("each called f %d times after it returned false on the 2nd, want 2", calls)
	}
}
