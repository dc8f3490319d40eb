package core

import (
	"testing"
	"unsafe"
)

// TestSizes pins the size and the hot-field placement of the structures
// every greenlet carries: a field added later, or a reorder, is then a
// visible decision (docs/performance.md measures what each 32 bytes and
// each cache line cost).
func TestSizes(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"G", unsafe.Sizeof(G{}), 184},
		{"waitBlock", unsafe.Sizeof(waitBlock{}), 176}, // the 176-byte class: scopes is a pointer (scope.go)
		{"coro", unsafe.Sizeof(coro{}), 32},            // 32-byte class (no stop field: coro.end), beside a goroutine of 2 KB at least
		{"G.canceler.cancelled offset (first cache line)", unsafe.Offsetof(G{}.cancelled), 56},
		{"G.canceler.own offset (first cache line)", unsafe.Offsetof(G{}.own), 48},
		{"G.body offset (first cache line)", unsafe.Offsetof(G{}.body), 24},
		{"G.liveIdx offset (second cache line)", unsafe.Offsetof(G{}.liveIdx), 116},
		{"waitBlock.w.state offset (first cache line)", unsafe.Offsetof(waitBlock{}.w) + unsafe.Offsetof(Waiter{}.state), 40},
		{"waitBlock.w.scoped offset (first cache line)", unsafe.Offsetof(waitBlock{}.w) + unsafe.Offsetof(Waiter{}.scoped), 60},
		{"waitBlock.w.since offset (first cache line)", unsafe.Offsetof(waitBlock{}.w) + unsafe.Offsetof(Waiter{}.since), 56},
		{"waitBlock.w.kind offset (first cache line)", unsafe.Offsetof(waitBlock{}.w) + unsafe.Offsetof(Waiter{}.kind), 61},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}
