package core

import (
	"context"
	"slices"
	"testing"
)

// FuzzIDRegistry checks the id registry against a set of held ids: acquire
// always returns the smallest id not held (gevent's minimal_ident), release
// makes an id available again, and ids stay dense (never above the number
// held).
func FuzzIDRegistry(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 1, 1, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 1, 4, 1, 2, 1, 0, 0, 0, 0, 1, 3, 0})
	f.Add([]byte{0, 0, 0, 1, 2, 1, 1, 1, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var r idRegistry
		var held []int32
		for step := 0; len(data) >= 2 && step < 500; step++ { // the model is quadratic: keep runs short
			op, arg := data[0], int(data[1])
			data = data[2:]
			if op%2 == 0 || len(held) == 0 {
				want := int32(0)
				for slices.Contains(held, want) {
					want++
				}
				if got := r.acquire(); got != want {
					t.Fatalf("step %d: acquire = %d with %v held, want %d", step, got, held, want)
				}
				held = append(held, want)
				continue
			}
			i := arg % len(held)
			r.release(held[i])
			held = slices.Delete(held, i, i+1)
		}
	})
}

// TestIDsSmallestFreeOnHub checks the registry through greenlets: an id is
// assigned on first use, it is the smallest not held by a live greenlet, and
// a dead greenlet's id goes to the next greenlet that asks.
func TestIDsSmallestFreeOnHub(t *testing.T) {
	h := NewHub(context.Background(), Options{})
	var ids []int
	main := spawnG(h, h.Context(), func(g *G) error {
		var gs []*G
		for range 4 {
			gs = append(gs, spawnG(h, g, func(g *G) error { return h.Sleep(g, g, 1<<40) }))
		}
		// Assigned in the order asked, not the order spawned.
		ids = append(ids, gs[3].ID(), gs[1].ID(), gs[0].ID())
		gs[1].Kill(ErrGreenletExit)
		gs[0].Kill(ErrGreenletExit)
		if err := gs[0].Join(g); err != nil {
			return err
		}
		if err := gs[1].Join(g); err != nil {
			return err
		}
		// 1 and 2 are free again (0 is gs[3]'s): gs[2] gets 1, main 2.
		ids = append(ids, gs[2].ID(), g.ID(), gs[3].ID())
		gs[2].Kill(ErrGreenletExit)
		gs[3].Kill(ErrGreenletExit)
		return nil
	})
	h.Serve(context.Background(), main)
	if err := main.Result(); err != nil {
		t.Fatalf("main = %v", err)
	}
	if want := []int{0, 1, 2, 1, 2, 0}; !slices.Equal(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
}
