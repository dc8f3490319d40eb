package core

import (
	"strconv"
	"strings"
	"time"
)

// The deadlock report: when nothing can ever wake a hub's waits
// (ErrLoopExit), the error says why, from the wait records of its parked
// greenlets: who waits on what, which greenlet alone can end each wait
// (a join's target, a lock's owner), the cycles among them, and the objects
// nobody is left to signal (an Event nobody sets, a Queue nobody puts to).
// It is built on the hub goroutine, with every greenlet parked, so it is
// consistent, and only on the exit path.

// LoopExitError is the error of a wait that nothing can ever complete: it
// matches ErrLoopExit (errors.Is) and its text adds the wait graph.
type LoopExitError struct {
	Graph *WaitGraph
}

// Error is ErrLoopExit's text followed by the wait graph.
func (e *LoopExitError) Error() string {
	return ErrLoopExit.Error() + "\n" + e.Graph.String()
}

// Is reports whether target is ErrLoopExit.
func (e *LoopExitError) Is(target error) bool { return target == ErrLoopExit }

// Unwrap returns ErrLoopExit.
func (e *LoopExitError) Unwrap() error { return ErrLoopExit }

// WaitGraph is the state of a hub whose waits can never complete.
type WaitGraph struct {
	Hub   string
	Clock time.Duration
	// Waits are the parked greenlets, in spawn order.
	Waits []GraphWait
	// Cycles are the sets of greenlets that wait on each other (a join on
	// oneself is a cycle of one), each in order along its edges; the
	// values index Waits.
	Cycles [][]int
	// Orphans index the waits on objects no greenlet is known to be able to
	// signal (no waker, or a waker that has ended) and that nothing else can
	// signal either, every greenlet being parked: an Event nobody sets, a
	// Queue nobody puts to, a Semaphore nobody releases.
	Orphans []int
}

// GraphWait is one parked greenlet in a WaitGraph.
type GraphWait struct {
	ID     int32
	Name   string
	Kind   WaitKind
	Object string // the describer's text ("" for none)
	ObjID  int32  // identifies the object within the graph (-1: none)
	For    time.Duration
	// Wakers are the indexes in Waits of the greenlets that alone can end
	// the wait; -1 for one that is not parked on this hub.
	Wakers []int
}

// label is "name #id".
func (w *GraphWait) label() string { return w.Name + " #" + strconv.Itoa(int(w.ID)) }

// line describes the wait: "name #id parked on kind object for 2s".
func (w *GraphWait) line() string {
	s := w.label() + " parked on " + w.Kind.String()
	if w.Object != "" {
		s += " " + w.Object
	}
	return s + " for " + w.For.Round(time.Millisecond).String()
}

// buildWaitGraph builds h's wait graph. Hub goroutine only.
func (h *Hub) buildWaitGraph() *WaitGraph {
	var s HubSnapshot
	h.Snapshot(&s)
	wg := &WaitGraph{Hub: h.Name(), Clock: s.Clock}
	idx := map[int32]int{} // greenlet id → index in Waits
	names := map[int32]string{}
	for i := range s.Greenlets {
		gi := &s.Greenlets[i]
		names[gi.ID] = gi.Name
		if gi.Name == "" {
			names[gi.ID] = "Greenlet-" + itoa(int(gi.ID))
		}
	}
	for i := range s.Greenlets {
		gi := &s.Greenlets[i]
		if gi.State != GParked {
			continue
		}
		idx[gi.ID] = len(wg.Waits)
		w := GraphWait{ID: gi.ID, Name: gi.Name, Kind: gi.Wait.Kind, ObjID: gi.Wait.Obj, For: gi.Wait.For}
		if w.Name == "" {
			w.Name = "Greenlet-" + itoa(int(gi.ID))
		}
		if k := gi.Wait.Obj; k >= 0 {
			o := &s.Objects[k]
			w.Object = o.Object
			if o.Kind == WaitJoin {
				w.Object = "greenlet (ended)"
				if o.Target >= 0 {
					w.Object = "greenlet " + names[o.Target] + " #" + itoa(int(o.Target))
				}
			}
		}
		wg.Waits = append(wg.Waits, w)
	}
	for i := range wg.Waits {
		w := &wg.Waits[i]
		if w.ObjID < 0 {
			continue
		}
		for _, id := range s.Objects[w.ObjID].Wakers {
			j, ok := idx[id]
			if id < 0 || !ok {
				j = -1
			}
			w.Wakers = append(w.Wakers, j)
		}
	}
	wg.Cycles = cycles(wg.Waits)
	for i := range wg.Waits {
		w := &wg.Waits[i]
		orphan := true
		for _, j := range w.Wakers {
			if j >= 0 {
				orphan = false
			}
		}
		// A sleep or an idle wait always ends: it is never part of a
		// deadlock (and never seen in one).
		if orphan && w.Kind != WaitSleep && w.Kind != WaitIdle {
			wg.Orphans = append(wg.Orphans, i)
		}
	}
	return wg
}

// cycles returns the strongly connected components of the waits' waker
// edges that have more than one node or a self-loop (Tarjan's algorithm,
// iterative), each rotated to start at its oldest greenlet and ordered
// along the edges.
func cycles(ws []GraphWait) [][]int {
	n := len(ws)
	index := make([]int, n)
	low := make([]int, n)
	on := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	type frame struct{ v, e int }
	for root := range n {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		on[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.e < len(ws[f.v].Wakers) {
				u := ws[f.v].Wakers[f.e]
				f.e++
				if u < 0 {
					continue
				}
				if index[u] < 0 {
					index[u], low[u] = next, next
					next++
					stack = append(stack, u)
					on[u] = true
					call = append(call, frame{u, 0})
				} else if on[u] {
					low[f.v] = min(low[f.v], index[u])
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			var comp []int
			for {
				u := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[u] = false
				comp = append(comp, u)
				if u == v {
					break
				}
			}
			if len(comp) > 1 || selfLoop(ws, v) {
				out = append(out, orderCycle(ws, comp))
			}
		}
	}
	return out
}

func selfLoop(ws []GraphWait, v int) bool {
	for _, u := range ws[v].Wakers {
		if u == v {
			return true
		}
	}
	return false
}

// orderCycle orders a component along its edges from its oldest member
// (smallest index), as far as a simple path goes, then the rest.
func orderCycle(ws []GraphWait, comp []int) []int {
	in := map[int]bool{}
	start := comp[0]
	for _, v := range comp {
		in[v] = true
		start = min(start, v)
	}
	path := []int{start}
	seen := map[int]bool{start: true}
	for v := start; ; {
		moved := false
		for _, u := range ws[v].Wakers {
			if u >= 0 && in[u] && !seen[u] {
				path = append(path, u)
				seen[u] = true
				v, moved = u, true
				break
			}
		}
		if !moved {
			break
		}
	}
	for _, v := range comp {
		if !seen[v] {
			path = append(path, v)
		}
	}
	return path
}

// String lays the graph out for people: the cycles, then the orphaned
// objects with their waiters, then every other wait.
func (g *WaitGraph) String() string {
	var b strings.Builder
	b.WriteString("wait graph (hub " + g.Hub + ", clock " + g.Clock.Round(time.Millisecond).String() + "):\n")
	shown := make([]bool, len(g.Waits))
	for _, c := range g.Cycles {
		b.WriteString("  cycle: ")
		for _, v := range c {
			b.WriteString(g.Waits[v].label() + " -> ")
		}
		b.WriteString(g.Waits[c[0]].label() + "\n")
		for _, v := range c {
			b.WriteString("    " + g.Waits[v].line() + "\n")
			shown[v] = true
		}
	}
	byObj := map[int32][]int{}
	var objs []int32
	for _, v := range g.Orphans {
		o := g.Waits[v].ObjID
		if _, ok := byObj[o]; !ok {
			objs = append(objs, o)
		}
		byObj[o] = append(byObj[o], v)
	}
	for _, o := range objs {
		vs := byObj[o]
		w := &g.Waits[vs[0]]
		what := w.Kind.String()
		if w.Object != "" {
			what += " " + w.Object
		}
		b.WriteString("  nobody can signal " + what + ":\n")
		for _, v := range vs {
			b.WriteString("    " + g.Waits[v].line() + "\n")
			shown[v] = true
		}
	}
	for i := range g.Waits {
		if !shown[i] {
			b.WriteString("  " + g.Waits[i].line() + "\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}
