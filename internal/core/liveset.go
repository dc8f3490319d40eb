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
//
// The array is made of fixed chunks, so that it grows without copying: a
// burst of spawns grows it by as many slots, and append's copies of a
// growing slice of pointers (about five times the final size in all, each
// pointer with a write barrier during a collection) were the largest cost
// of a cold burst after the handles themselves. With the run queue's
// segments (runq.go): spawn_join's cold 100k batch 459 -> 389 ns, 296 ->
// 221 B an op (docs/performance.md, fifth pass). Chunks are kept when the
// set shrinks, as a slice's capacity would be, until a compaction finds
// four times more than it needs.
type liveSet struct {
	chunks [][]*G // each liveChunk slots
	len    int    // slots in use, in spawn order; nil where a greenlet ended
	n      int    // live greenlets (non-nil slots)
}

// liveChunk is the number of slots of a chunk (8 KiB).
const liveChunk = 1024

// at returns the slot i; i < s.len.
func (s *liveSet) at(i int) **G { return &s.chunks[uint(i)/liveChunk][uint(i)%liveChunk] }

// capacity is the number of slots the chunks hold.
func (s *liveSet) capacity() int { return len(s.chunks) * liveChunk }

// add appends g; g.liveIdx becomes its slot plus one.
func (s *liveSet) add(g *G) {
	if s.len == s.capacity() {
		s.grow()
	}
	*s.at(s.len) = g
	s.len++
	g.liveIdx = int32(s.len)
	s.n++
}

// grow makes room for one more slot: by compacting when at least half of
// the slots are holes, by a new chunk otherwise.
func (s *liveSet) grow() {
	if 2*(s.len-s.n) >= s.len && s.n < s.len {
		s.compact()
		return
	}
	s.chunks = append(s.chunks, make([]*G, liveChunk))
}

// remove takes g out of the set; g must be in it.
func (s *liveSet) remove(g *G) {
	*s.at(int(g.liveIdx) - 1) = nil
	g.liveIdx = 0
	s.n--
	// Trailing holes go at once (each slot is trimmed once: amortised
	// constant), so a set that empties is empty.
	for s.len > 0 && *s.at(s.len - 1) == nil {
		s.len--
	}
}

// compact moves the live greenlets to the front, in order, and renumbers
// them; chunks four times more than needed are let go down to twice.
func (s *liveSet) compact() {
	w := 0
	for i := range s.len {
		if g := *s.at(i); g != nil {
			*s.at(w) = g
			w++
			g.liveIdx = int32(w)
		}
	}
	for i := w; i < s.len; i++ {
		*s.at(i) = nil
	}
	s.len = w
	need := (s.n + liveChunk - 1) / liveChunk
	if len(s.chunks) > 1 && len(s.chunks) > 4*need {
		keep := max(1, 2*need)
		clear(s.chunks[keep:])
		s.chunks = s.chunks[:keep]
	}
}

// each calls f for every live greenlet in spawn order until f returns false.
func (s *liveSet) each(f func(g *G) bool) {
	for i := range s.len {
		if g := *s.at(i); g != nil && !f(g) {
			return
		}
	}
}
