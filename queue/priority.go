package queue

import "cmp"

// PriorityQueue is a queue that hands out its lowest item first, as ordered
// by a comparison function (gevent's PriorityQueue, which uses heapq). Items
// that compare equal come out in no particular order; to make the order
// stable, put a sequence number in T. Apart from the order it behaves exactly
// like Queue, TaskDone and Join included.
//
// Create one with NewPriority or NewOrdered: the zero value has no
// comparison, and using it panics. A PriorityQueue must not be copied after
// first use. All methods are safe to call from any goroutine and from
// greenlets of any hub.
type PriorityQueue[T any] struct {
	base[T, heap[T], *heap[T]]
}

// NewPriority returns an empty priority queue ordered by cmp, which returns a
// negative number when a comes before b, a positive one when after, and 0
// when they are equal (the convention of cmp.Compare and slices.SortFunc). It
// holds at most maxsize items; maxsize <= 0 means unbounded. cmp runs with the
// queue's lock held: it must not use the queue.
func NewPriority[T any](maxsize int, cmp func(a, b T) int) *PriorityQueue[T] {
	if cmp == nil {
		panic("gevent/queue: NewPriority: nil cmp")
	}
	q := new(PriorityQueue[T])
	q.maxsize = max(maxsize, 0)
	q.items.cmp = cmp
	return q
}

// NewOrdered returns an empty priority queue of ordered values, smallest
// first (cmp.Compare order: NaNs come first). It holds at most maxsize items;
// maxsize <= 0 means unbounded.
func NewOrdered[T cmp.Ordered](maxsize int) *PriorityQueue[T] {
	return NewPriority(maxsize, cmp.Compare[T])
}

// heap is a binary min-heap under cmp.
//
//lint:ignore U1000 used as base's type argument: staticcheck's unused check does not follow methods called through a generic constraint (dominikh/go-tools#1440)
type heap[T any] struct {
	s   []T
	cmp func(a, b T) int
}

func (h *heap[T]) len() int { return len(h.s) }
func (h *heap[T]) peek() T  { return h.s[0] }

func (h *heap[T]) clear() int { n := len(h.s); clear(h.s); h.s = h.s[:0]; return n }

func (h *heap[T]) push(v T) {
	if h.cmp == nil {
		// The queue can never work: its lock stays held, as after any
		// misuse panic in the middle of an operation.
		panic("gevent/queue: zero PriorityQueue used; create it with NewPriority or NewOrdered")
	}
	h.s = append(h.s, v)
	// Sift up.
	i := len(h.s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h.cmp(h.s[i], h.s[p]) >= 0 {
			break
		}
		h.s[i], h.s[p] = h.s[p], h.s[i]
		i = p
	}
}

func (h *heap[T]) pop() T {
	var zero T
	n := len(h.s) - 1
	v := h.s[0]
	h.s[0] = h.s[n]
	h.s[n] = zero // let the garbage collector have it
	h.s = h.s[:n]
	// Sift down.
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.cmp(h.s[r], h.s[l]) < 0 {
			m = r
		}
		if h.cmp(h.s[m], h.s[i]) >= 0 {
			break
		}
		h.s[i], h.s[m] = h.s[m], h.s[i]
		i = m
	}
	if cap(h.s) > 64 && n <= cap(h.s)/8 {
		h.s = append([]T(nil), h.s...) // give memory back after a burst
	}
	return v
}
