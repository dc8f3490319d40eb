package pool_test

import (
	"context"
	"slices"
	"testing"

	"github.com/gevent-go/gevent/internal/testutil"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/pool"
)

// issue 10 item 9: nil where a value is required panics at the call with
// "gevent/pool: <function>: nil <argument>", not a nil dereference later
// (a nil Map function used to fail only when the first item ran).
func TestNilArgumentsPanicAtTheCall(t *testing.T) {
	run(t, func(ctx context.Context) error {
		checkNilPanics(t, ctx)
		return nil
	})
}

func checkNilPanics(t *testing.T, ctx context.Context) {
	var nilCtx context.Context
	p := pool.NewPool(2)
	var g pool.Group
	items := slices.Values([]int{1, 2})
	double := func(_ context.Context, i int) (int, error) { return 2 * i, nil }
	unit := func(context.Context) (int, error) { return 1, nil }
	body := func(context.Context) error { return nil }
	var nilGreenlet *gevent.Greenlet[int]
	for _, c := range []struct {
		want string
		f    func()
	}{
		{"gevent/pool: Map: nil fn", func() { pool.Map[int, int](ctx, p, items, nil) }},
		{"gevent/pool: Map: nil ctx", func() { pool.Map(nilCtx, p, items, double) }},
		{"gevent/pool: Map: nil s", func() { pool.Map(ctx, nil, items, double) }},
		{"gevent/pool: Map: nil items", func() { pool.Map(ctx, p, nil, double) }},
		{"gevent/pool: Imap: nil fn", func() { pool.Imap[int, int](ctx, p, items, nil) }},
		{"gevent/pool: ImapUnordered: nil ctx", func() { pool.ImapUnordered(nilCtx, p, items, double) }},
		{"gevent/pool: Spawn: nil ctx", func() { pool.Spawn(nilCtx, p, unit) }},
		{"gevent/pool: Spawn: nil fn", func() { pool.Spawn[int](ctx, p, nil) }},
		{"gevent/pool: Spawn: nil s", func() { pool.Spawn(ctx, nil, unit) }},
		{"gevent/pool: TrySpawn: nil s", func() { pool.TrySpawn(ctx, nil, unit) }},
		{"gevent/pool: Spawn: nil ctx", func() { p.Spawn(nilCtx, body) }},
		{"gevent/pool: Spawn: nil fn", func() { g.Spawn(ctx, nil) }},
		{"gevent/pool: Apply: nil ctx", func() { pool.Apply(nilCtx, p, unit) }},
		{"gevent/pool: Apply: nil fn", func() { pool.Apply[int](ctx, p, nil) }},
		{"gevent/pool: ApplyAsync: nil fn", func() { pool.ApplyAsync[int](ctx, p, nil) }},
		{"gevent/pool: Join: nil ctx", func() { p.Join(nilCtx) }},
		{"gevent/pool: Kill: nil ctx", func() { g.Kill(nilCtx) }},
		{"gevent/pool: KillOne: nil ctx", func() { p.KillOne(nilCtx, nil) }},
		{"gevent/pool: KillOne: nil t", func() { g.KillOne(ctx, nilGreenlet) }},
		{"gevent/pool: Add: nil ctx", func() { p.Add(nilCtx, nil) }},
		{"gevent/pool: Add: nil t", func() { p.Add(ctx, nilGreenlet) }},
		{"gevent/pool: WaitAvailable: nil ctx", func() { p.WaitAvailable(nilCtx) }},
	} {
		if got := testutil.PanicMessage(c.f); got != c.want {
			t.Errorf("panic = %q, want %q", got, c.want)
		}
	}
	if p.Len() != 0 || g.Len() != 0 {
		t.Errorf("members after the panics: pool %d, group %d; want none", p.Len(), g.Len())
	}
}
