package core

import (
	"errors"
	"testing"
)

// TestTimerOwner pins what a timer finds from its own address (timer.owner,
// timer.timerCtx): the greenlet of the wait block it is the first field of,
// for the kinds that act on a greenlet, and the TimerCtx it belongs to.
func TestTimerOwner(t *testing.T) {
	g := &G{}
	wb := &waitBlock{}
	wb.w.g = g
	for _, c := range []struct {
		kind timerKind
		want *G
	}{
		{timerWake, g},
		{timerStart, g},
		{timerFunc, nil},
		{timerExpire, nil},
	} {
		wb.t.kind = c.kind
		if got := wb.t.owner(); got != c.want {
			t.Errorf("owner of a kind %d timer = %p, want %p", c.kind, got, c.want)
		}
	}
	wb.t.kind = timerWake
	wb.t.due = true
	if got := sleeper(&wb.t); got != g {
		t.Errorf("sleeper = %p, want %p", got, g)
	}
	wb.w.g = nil // released block
	if got := wb.t.owner(); got != nil {
		t.Errorf("owner of a released block's timer = %p, want nil", got)
	}

	tc := &TimerCtx{}
	tc.Init(errors.New("expired"))
	if got := tc.t.timerCtx(); got != tc {
		t.Errorf("timerCtx = %p, want %p", got, tc)
	}
}
