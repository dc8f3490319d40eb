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
		{"G", unsafe.Sizeof(G{}), 152},                 // its handles in the 160-byte class: the canceler's rare fields in a block of their own (cancelRare), liveIdx in its padding, notifyPending a state bit
		{"waitBlock", unsafe.Sizeof(waitBlock{}), 160}, // the 160-byte class: scopes is a pointer (scope.go), the timer finds its greenlet (timer.owner)
		{"timer", unsafe.Sizeof(timer{}), 24},
		{"waitBlock.t offset (timer.owner)", unsafe.Offsetof(waitBlock{}.t), 0},
		{"coro", unsafe.Sizeof(coro{}), 32}, // 32-byte class (no stop field: coro.end), beside a goroutine of 2 KB at least
		{"G.canceler.cancelled offset (first cache line)", unsafe.Offsetof(G{}.cancelled), 56},
		{"G.canceler.own offset (first cache line)", unsafe.Offsetof(G{}.own), 48},
		{"G.body offset (first cache line)", unsafe.Offsetof(G{}.body), 24},
		{"G.liveIdx offset (first cache line, in the canceler's padding)", unsafe.Offsetof(G{}.liveIdx), 60},
		{"canceler", unsafe.Sizeof(canceler{}), 40},
		{"waitBlock.w.state offset (first cache line)", unsafe.Offsetof(waitBlock{}.w) + unsafe.Offsetof(Waiter{}.state), 24},
		{"waitBlock.w.scoped offset (first cache line)", unsafe.Offsetof(waitBlock{}.w) + unsafe.Offsetof(Waiter{}.scoped), 44},
		{"waitBlock.w.since offset (first cache line)", unsafe.Offsetof(waitBlock{}.w) + unsafe.Offsetof(Waiter{}.since), 40},
		{"waitBlock.w.kind offset (first cache line)", unsafe.Offsetof(waitBlock{}.w) + unsafe.Offsetof(Waiter{}.kind), 45},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}
