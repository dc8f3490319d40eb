package gevent

// SetLeastLoaded makes g place spawns on its least-loaded hub instead of
// round-robin (for the placement benchmarks).
func SetLeastLoaded(g *HubGroup, on bool) { g.cg.SetLeastLoaded(on) }
