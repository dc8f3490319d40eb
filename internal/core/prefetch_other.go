//go:build !amd64

package core

// prefetch is a hint that this architecture's build does not give (see
// prefetch_amd64.go); the code that calls it is correct without it.
func prefetch(addr uintptr) {}
