package core

import (
	"context"
	"fmt"
	"testing"
)

// Least-loaded placement picks the hub with the fewest live greenlets;
// round-robin goes in turn whatever the load. Hubs not served keep the
// greenlets given to them live (scheduled), which is the load measured.
func TestGroupPick(t *testing.T) {
	hs := []*Hub{NewHub(context.Background(), Options{}), NewHub(context.Background(), Options{}), NewHub(context.Background(), Options{})}
	g := NewGroup(hs)
	defer g.Close()
	for range 3 {
		spawnG(hs[0], hs[0].Context(), func(*G) error { return nil })
	}
	spawnG(hs[2], hs[2].Context(), func(*G) error { return nil })

	for i := range 6 {
		if got, want := g.Pick(), hs[i%3]; got != want {
			t.Fatalf("round-robin pick %d: hub %d", i, g.Index(got))
		}
	}
	g.SetLeastLoaded(true)
	if got := g.Pick(); got != hs[1] {
		t.Fatalf("least-loaded picked hub %d, want 1 (loads 3, 0, 1)", g.Index(got))
	}
	spawnG(hs[1], hs[1].Context(), func(*G) error { return nil })
	spawnG(hs[1], hs[1].Context(), func(*G) error { return nil })
	if got := g.Pick(); got != hs[2] {
		t.Fatalf("least-loaded picked hub %d, want 2 (loads 3, 2, 1)", g.Index(got))
	}

	if GroupOfHub(hs[1]) != g || g.Index(hs[2]) != 2 {
		t.Fatal("GroupOfHub/Index do not find the group")
	}
	ctx := NewSpreadCtx(hs[0].Context(), g)
	if SpreadOf(ctx) != g || SpreadOf(hs[0].Context()) != nil || SpreadOf(Detach(ctx)) != nil {
		t.Fatal("SpreadOf: a spreading context not found, or found where there is none")
	}
	child := new(G)
	child.Init(SpawnHub(ctx, "test"), ctx, runFunc(func(*G) error { return nil }))
	type key struct{}
	if SpreadOf(child) != nil || SpreadOf(context.WithValue(child, key{}, 1)) != nil {
		t.Fatal("a greenlet spawned with a spreading context spreads in turn")
	}
	g.Close()
	if GroupOfHub(hs[0]) != nil {
		t.Fatal("GroupOfHub after Close")
	}
	for _, h := range hs {
		h.Stop() // never served: nothing to stop, nothing leaks
	}
}

// The cost of one placement decision, by policy and group size, with every
// GOMAXPROCS goroutine placing at once (docs/performance.md).
func BenchmarkGroupPick(b *testing.B) {
	for _, n := range []int{2, 8} {
		for _, ll := range []bool{false, true} {
			name := "roundrobin"
			if ll {
				name = "leastloaded"
			}
			b.Run(fmt.Sprintf("%s/hubs=%d", name, n), func(b *testing.B) {
				hs := make([]*Hub, n)
				for i := range hs {
					hs[i] = NewHub(context.Background(), Options{})
				}
				g := NewGroup(hs)
				defer g.Close()
				g.SetLeastLoaded(ll)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						g.Pick()
					}
				})
			})
		}
	}
}

// A greenlet or a timeout made from a context package wrapper of a
// spreading context does not spread, nor do the wrappers of its context.
func TestSpreadStopsAtLibraryContexts(t *testing.T) {
	hs := []*Hub{NewHub(context.Background(), Options{}), NewHub(context.Background(), Options{})}
	g := NewGroup(hs)
	defer g.Close()
	type key struct{}
	wrapped := context.WithValue(NewSpreadCtx(hs[0].Context(), g), key{}, 1)
	if SpreadOf(wrapped) != g {
		t.Fatal("a context package wrapper of a spreading context does not spread")
	}
	child := new(G)
	child.Init(SpawnHub(wrapped, "test"), wrapped, runFunc(func(*G) error { return nil }))
	if SpreadOf(context.WithValue(child, key{}, 2)) != nil {
		t.Error("a wrapper of a greenlet spawned through a spreading wrapper spreads")
	}
	if child.Value(key{}) != 1 {
		t.Error("the greenlet lost the spawner's values")
	}
	var tc TimerCtx
	tc.Init(context.Canceled)
	tc.Start(wrapped, 1<<40)
	defer tc.Stop()
	if SpreadOf(&tc) != nil || SpreadOf(context.WithValue(&tc, key{}, 3)) != nil {
		t.Error("a timeout derived from a spreading wrapper spreads")
	}
	if SpreadOf(Unspread(wrapped)) != nil || HubOf(Unspread(wrapped)) != hs[0] {
		t.Error("Unspread")
	}
}
