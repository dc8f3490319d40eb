package core

import (
	"context"
	"io"
	"runtime/trace"
	"testing"
)

// TestTraceTasks: under runtime/trace every greenlet gets a task whose
// parent is its parent greenlet's, a region open while it runs and none
// while it is parked; the states go with the greenlets; with the tracer off
// no state is made.
func TestTraceTasks(t *testing.T) {
	if trace.IsEnabled() {
		t.Skip("a trace is already running")
	}
	if err := trace.Start(io.Discard); err != nil {
		t.Fatal(err)
	}
	h := NewHub(context.Background(), Options{})
	var parentSt, childSt *gTrace
	var parkedRegion bool
	main := spawnG(h, h.Context(), func(g *G) error {
		parentSt = h.traces[g]
		child := spawnG(h, g, func(cg *G) error {
			childSt = h.traces[cg]
			if childSt == nil || childSt.region == nil {
				t.Error("the child runs without a trace state or region")
			}
			_, err := Yield(cg)
			return err
		})
		if _, err := Yield(g); err != nil { // the child runs, then parks
			return err
		}
		parkedRegion = h.traces[child] != nil && h.traces[child].region != nil
		return child.Join(g)
	})
	h.Serve(context.Background(), main)
	trace.Stop()
	if parentSt == nil || childSt == nil || childSt.parent != parentSt {
		t.Fatalf("trace states: parent %p, child %p (its parent %p)", parentSt, childSt, childSt.parent)
	}
	if parkedRegion {
		t.Error("a parked greenlet has an open region")
	}
	if h.traces != nil {
		t.Errorf("%d trace states left after every greenlet ended", len(h.traces))
	}

	h = NewHub(context.Background(), Options{})
	main = spawnG(h, h.Context(), func(g *G) error {
		_, err := Yield(g)
		if h.traces != nil {
			t.Error("trace states made with the tracer off")
		}
		return err
	})
	h.Serve(context.Background(), main)
}
