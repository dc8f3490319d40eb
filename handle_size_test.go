package gevent

import (
	"testing"
	"unsafe"
)

// TestHandleSizes pins the size of the handles a spawn allocates (one object
// per greenlet): each 16 or 32 bytes more is a size class more for every
// greenlet alive (docs/performance.md, spawn_join and memory_parked), so a
// field added later is a visible decision. The core's own sizes are pinned
// by internal/core's TestSizes.
func TestHandleSizes(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"Greenlet[struct{}]", unsafe.Sizeof(Greenlet[struct{}]{}), 160},
		{"Greenlet[int]", unsafe.Sizeof(Greenlet[int]{}), 168},
		{"goBody (Go)", unsafe.Sizeof(goBody{}), 168},
		{"rawGreenlet (SpawnRaw)", unsafe.Sizeof(rawGreenlet{}), 160},
	} {
		if c.got != c.want {
			t.Errorf("%s is %d bytes, want %d", c.name, c.got, c.want)
		}
	}
}
