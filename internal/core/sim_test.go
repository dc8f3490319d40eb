package core

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/gevent-go/gevent/internal/testutil"
)

// TestSimSizes: the simulation's source tag lives in a task's padding, and
// its spawn sequence number in the rarely allocated extra block: neither the
// run queue's entries nor a greenlet grow.
func TestSimSizes(t *testing.T) {
	if got := unsafe.Sizeof(task{}); got != 16 {
		t.Errorf("task is %d bytes, want 16", got)
	}
}

func TestParseForce(t *testing.T) {
	if parseForce("") != nil {
		t.Fatal("no switch, yet simulated")
	}
	o := parseForce("fifo")
	if o == nil || o.Schedule != ScheduleFIFO || o.Virtual || !o.FixedTies {
		t.Fatalf("fifo: %+v", o)
	}
	msg := testutil.PanicMessage(func() { parseForce("shuffle") })
	if !strings.HasPrefix(msg, "gevent: GEVENT_SIM_FORCE=shuffle") {
		t.Fatalf("bad value: panic %q", msg)
	}
}

// TestSimIntN: Lemire's bounded draw stays in range and reaches every value.
func TestSimIntN(t *testing.T) {
	s := newSim(nil, SimOptions{Seed: 3})
	for _, n := range []int{1, 2, 3, 7, 1000} {
		seen := make([]bool, n)
		for i := 0; i < 50*n; i++ {
			v := s.IntN(n)
			if v < 0 || v >= n {
				t.Fatalf("IntN(%d) = %d", n, v)
			}
			seen[v] = true
		}
		for v, ok := range seen {
			if !ok {
				t.Fatalf("IntN(%d) never drew %d", n, v)
			}
		}
	}
}
