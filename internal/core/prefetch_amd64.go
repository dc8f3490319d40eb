package core

// prefetch asks the processor to bring the cache line at addr closer,
// without waiting for it (a load would hold the instructions after it until
// the line arrives). It never faults, so addr may be stale; 0 does nothing
// useful. See Hub.prefetchDue.
func prefetch(addr uintptr)
