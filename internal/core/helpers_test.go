package core

import "context"

// runFunc is a greenlet body for tests of the core: the function gets the
// greenlet, which is also its context.
type runFunc func(g *G) error

func (f runFunc) RunBody(g *G) error { return f(g) }

// spawnG starts a greenlet running f on h with values (and the parent
// greenlet, if any) from ctx. Any goroutine.
func spawnG(h *Hub, ctx context.Context, f func(g *G) error) *G {
	g := new(G)
	g.Init(h, ctx, runFunc(f))
	g.Start()
	return g
}
