package sim_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/debug"
	"github.com/gevent-go/gevent/sim"
)

// A greenlet parked in a simulated socket shows in a dump as what it waits
// on: a read on its connection, an accept on its listener, a datagram read.
func TestNetWaitsInDump(t *testing.T) {
	_, err := sim.Run(t.Context(), sim.Options{}, func(ctx context.Context) error {
		n := sim.NewNet(sim.NetOptions{})
		a, b := n.Host("a"), n.Host("b")
		c, s := pair(ctx, t, a, b)
		defer c.Close()
		defer s.Close()
		l := listen(ctx, t, b)
		defer l.Close()
		pc, err := a.ListenPacket(ctx, "udp", ":0")
		if err != nil {
			return err
		}
		defer pc.Close()
		buf := make([]byte, 8)
		gevent.Go(ctx, func(context.Context) error { _, err := c.Read(buf); return err }, gevent.WithName("reader"))
		gevent.Go(ctx, func(context.Context) error { _, err := l.Accept(); return err }, gevent.WithName("acceptor"))
		gevent.Go(ctx, func(context.Context) error { _, _, err := pc.ReadFrom(buf); return err }, gevent.WithName("receiver"))
		gevent.Yield(ctx)
		want := map[string]string{"reader": "sim.read", "acceptor": "sim.accept", "receiver": "sim.readfrom"}
		for _, h := range debug.CaptureHub(ctx).Hubs {
			for _, g := range h.Greenlets {
				kind, ok := want[g.Name]
				if !ok {
					continue
				}
				delete(want, g.Name)
				if g.Wait == nil || g.Wait.Kind != kind || !strings.HasPrefix(g.Wait.Object, "sim.") {
					return fmt.Errorf("%s waits on %+v, want kind %s and a sim object", g.Name, g.Wait, kind)
				}
			}
		}
		if len(want) > 0 {
			return fmt.Errorf("not in the dump: %v", want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
