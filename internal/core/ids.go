package core

// The id registry: gevent's minimal_ident, the smallest free small integer.

import (
	"container/heap"
)

// idLocked returns g's id, assigning the smallest free one on first use. A
// dead greenlet's id has been released, so one assigned after its death is
// released again at once.
func (h *Hub) idLocked(g *G) int32 {
	if g.id < 0 {
		g.id = h.ids.acquire()
		if g.State() == StateDead {
			h.ids.release(g.id)
		}
	}
	return g.id
}

// idRegistry hands out the smallest free small integer (gevent's
// minimal_ident).
type idRegistry struct {
	freed intHeap
	next  int32
}

func (r *idRegistry) acquire() int32 {
	if r.freed.Len() > 0 {
		return heap.Pop(&r.freed).(int32)
	}
	id := r.next
	r.next++
	return id
}

func (r *idRegistry) release(id int32) { heap.Push(&r.freed, id) }

type intHeap []int32

func (h intHeap) Len() int { return len(h) }

func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }

func (h intHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

func (h *intHeap) Push(x any) { *h = append(*h, x.(int32)) }

func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
