package core

// liveSet is a hub's live greenlets (started, not dead) in spawn order,
// guarded by Hub.mu. It is an array with holes rather than a linked list:
// removing a greenlet writes its own slot, where unlinking it from a list
// wrote both neighbours, greenlets spawned just before and after it that are
// usually out of the cache by the time it ends (measured: about 8% of
// sleep_timers, whose greenlets end in random order). The holes are
// squeezed out when an append would grow the array and at least half of it
// is holes, so the array grows only while at least half of it is live (it
// may hold more holes between appends: ends alone never compact it), and
// each survivor a compaction moves is paid for by the appends since the
// last one.
type liveSet struct {
	slots []*G // spawn order; nil where a greenlet ended
	n     int  // live greenlets (non-nil slots)
}

// add appends g; g.liveIdx becomes its slot plus one.
func (s *liveSet) add(g *G) {
	if len(s.slots) == cap(s.slots) && 2*(len(s.slots)-s.n) >= len(s.slots) && s.n < len(s.slots) {
		s.compact()
	}
	s.slots = append(s.slots, g)
	g.liveIdx = int32(len(s.slots))
	s.n++
}

// remove takes g out of the set; g must be in it.
func (s *liveSet) remove(g *G) {
	s.slots[g.liveIdx-1] = nil
	g.liveIdx = 0
	s.n--
	// Trailing holes go at once (each slot is trimmed once: amortised
	// constant), so a set that empties is empty.
	n := len(s.slots)
	for n > 0 && s.slots[n-1] == nil {
		n--
	}
	s.slots = s.slots[:n]
}

// compact moves the live greenlets to the front, in order, and renumbers
// them; an array four times larger than needed is replaced by a smaller one.
func (s *liveSet) compact() {
	old := s.slots
	shrink := cap(old) > 64 && 4*s.n < cap(old)
	dst := old[:0] // in place: each write is at or before the read
	if shrink {
		dst = make([]*G, 0, 2*s.n)
	}
	for _, g := range old {
		if g != nil {
			dst = append(dst, g)
			g.liveIdx = int32(len(dst))
		}
	}
	if !shrink {
		clear(old[len(dst):])
	}
	s.slots = dst
}

// each calls f for every live greenlet in spawn order until f returns false.
func (s *liveSet) each(f func(g *G) bool) {
	for _, g := range s.slots {
		if g != nil && !f(g) {
			return
		}
	}
}
