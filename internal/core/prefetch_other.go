//go:build !amd64

package core

// prefetch is a hint that this architecture's build does not give (see
// prefetch_amd64.go); the code that calls it is correct without it.
func prefetch(addr uintptr) {}

// prefetchDown is prefetch for n lines downwards from addr (see
// prefetch_amd64.go).
func prefetchDown(addr uintptr, n int) {}
