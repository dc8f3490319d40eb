package gevent_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/internal/testutil"
)

// A Timeout or Hub that was not made by its constructor (a nil pointer, or
// a zero value) is misuse: it panics with a message naming the constructor,
// not with a nil dereference.
func TestZeroTimeoutAndHubPanicClearly(t *testing.T) {
	bg := context.Background()
	var nilT *gevent.Timeout
	var zeroT gevent.Timeout
	var zeroH gevent.Hub
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"nil Timeout.Start", func() { nilT.Start(bg) }},
		{"nil Timeout.Cancel", func() { nilT.Cancel() }},
		{"nil Timeout.Pending", func() { nilT.Pending() }},
		{"zero Timeout.Start", func() { zeroT.Start(bg) }},
		{"zero Timeout.Cancel", func() { zeroT.Cancel() }},
		{"zero Timeout.Pending", func() { zeroT.Pending() }},
		{"zero Hub.Context", func() { zeroH.Context() }},
		{"zero Hub.Serve", func() { zeroH.Serve(bg) }},
		{"zero Hub.Stop", func() { zeroH.Stop() }},
		{"zero Hub.ID", func() { zeroH.ID() }},
		{"zero Hub.Name", func() { zeroH.Name() }},
	} {
		got := testutil.PanicMessage(c.f)
		if !strings.HasPrefix(got, "gevent: ") || !strings.Contains(got, "New") {
			t.Errorf("%s: panic = %q, want a gevent: panic naming the constructor", c.name, got)
		}
	}
}

// Likewise a zero HubGroup, which has no hub to serve or to spawn on.
func TestZeroHubGroupPanicsClearly(t *testing.T) {
	var g gevent.HubGroup
	for name, f := range map[string]func(){
		"Context": func() { g.Context() },
		"Serve":   func() { g.Serve(context.Background()) },
	} {
		got := testutil.PanicMessage(f)
		if !strings.HasPrefix(got, "gevent: ") || !strings.Contains(got, "NewHubGroup") {
			t.Errorf("%s: panic = %q, want a gevent: panic naming NewHubGroup", name, got)
		}
	}
}
