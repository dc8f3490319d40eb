package core

// prefetch asks the processor to bring the cache line at addr closer,
// without waiting for it (a load would hold the instructions after it until
// the line arrives). It never faults, so addr may be stale; 0 does nothing
// useful. See Hub.prefetchDue.
func prefetch(addr uintptr)

// prefetchDown is prefetch for the n cache lines at addr, addr-64, ...,
// addr-64*(n-1) in one call (a call per line costs more than the hint).
func prefetchDown(addr uintptr, n int)
