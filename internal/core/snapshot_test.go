package core

import (
	"context"
	"runtime"
	"testing"
)

// TestHubRegistry: hubs are listed in creation order while open, and the
// list does not keep closed or unreferenced hubs (a process that makes many
// hubs and never dumps them keeps it short).
func TestHubRegistry(t *testing.T) {
	a := NewHub(context.Background(), Options{Name: "reg-a"})
	b := NewHub(context.Background(), Options{})
	if a.ID() >= b.ID() || a.Name() != "reg-a" || b.Name() != "hub-"+itoa(int(b.ID())) {
		t.Fatalf("ids %d, %d and names %q, %q", a.ID(), b.ID(), a.Name(), b.Name())
	}
	pos := map[*Hub]int{}
	for i, h := range Hubs() {
		pos[h] = i + 1
	}
	if pos[a] == 0 || pos[b] == 0 || pos[a] > pos[b] {
		t.Fatalf("a at %d, b at %d: want both listed, a first", pos[a], pos[b])
	}
	b.Stop()
	b.Serve(context.Background(), nil) // stops at once: closed
	for _, h := range Hubs() {
		if h == b {
			t.Error("a closed hub is still listed")
		}
	}
	// Five rounds of 1000 hubs dropped at once, collected between rounds:
	// registering prunes what was collected, so the list stays within
	// about two rounds' worth instead of growing to 5000.
	for range 5 {
		for range 1000 {
			NewHub(context.Background(), Options{})
		}
		runtime.GC()
	}
	hubRegistry.mu.Lock()
	n := len(hubRegistry.hubs)
	hubRegistry.mu.Unlock()
	if n > 2100 {
		t.Errorf("registry holds %d entries after 5000 hubs were dropped", n)
	}
	runtime.KeepAlive(a)
}
