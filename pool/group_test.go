package pool_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/pool"
)

// Ported from test__greenletset.py test_basic and test_waitall.
func TestGroupMembersLeaveWhenTheyEnd(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var g pool.Group // zero value
		var first, second event.Event
		a, _ := g.Spawn(ctx, func(ctx context.Context) error { return first.Wait(ctx) })
		b, _ := g.Spawn(ctx, func(ctx context.Context) error { return second.Wait(ctx) })
		if n := g.Len(); n != 2 {
			return fmt.Errorf("Len() = %d, want 2", n)
		}
		if !g.Contains(a) || !g.Contains(b) {
			return errors.New("spawned greenlets are not members")
		}
		if got := slices.Collect(g.All()); !slices.Equal(got, []gevent.Task{a, b}) {
			return fmt.Errorf("All() = %v, want [a b]", got)
		}
		first.Set()
		if err := a.Join(ctx); err != nil {
			return err
		}
		gevent.Yield(ctx) // a's leave callback is queued behind a's end
		if n := g.Len(); n != 1 || g.Contains(a) {
			return fmt.Errorf("after a ended: Len() = %d, Contains(a) = %v; want 1, false", n, g.Contains(a))
		}
		second.Set()
		if err := g.Join(ctx, pool.RaiseError()); err != nil {
			return fmt.Errorf("Join = %v, want nil", err)
		}
		if n := g.Len(); n != 0 {
			return fmt.Errorf("Len() after Join = %d, want 0", n)
		}
		return nil
	})
}

func TestGroupJoinEmptyReturnsAtOnce(t *testing.T) {
	var g pool.Group
	// No hub at all: an empty group's Join must not wait.
	if err := g.Join(context.Background()); err != nil {
		t.Fatalf("Join of an empty group = %v, want nil", err)
	}
}

// Ported from test__pool.py TestJoinSleep / testSpawnAndWait.
func TestGroupJoinTimeout(t *testing.T) {
	run(t, func(ctx context.Context) error {
		p := pool.NewPool(1)
		var ev event.Event
		g, _ := p.Spawn(ctx, func(ctx context.Context) error { return ev.Wait(ctx) })
		tctx, cancel := gevent.WithTimeout(ctx, 5*time.Millisecond)
		defer cancel()
		err := p.Join(tctx, pool.RaiseError())
		if !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("Join on a busy pool = %v, want a timeout", err)
		}
		if p.Len() != 1 || g.Dead() {
			return errors.New("the timeout of Join affected the member")
		}
		ev.Set()
		return p.Join(ctx)
	})
}

func TestGroupJoinRaiseError(t *testing.T) {
	boom := errors.New("boom")
	run(t, func(ctx context.Context) error {
		var g pool.Group
		var ev event.Event
		g.Spawn(ctx, func(ctx context.Context) error { return ev.Wait(ctx) })
		g.Spawn(ctx, func(ctx context.Context) error { ev.Wait(ctx); return boom })
		killed, _ := g.Spawn(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		gevent.Yield(ctx)
		killed.Kill(ctx) // ErrGreenletExit: not a failure
		ev.Set()
		if err := g.Join(ctx, pool.RaiseError()); err != boom {
			return fmt.Errorf("Join(RaiseError) = %v, want %v", err, boom)
		}

		// Without RaiseError, and with only GreenletExit endings, nil.
		var h pool.Group
		h.Spawn(ctx, func(ctx context.Context) error { return boom })
		if err := h.Join(ctx); err != nil {
			return fmt.Errorf("Join() = %v, want nil", err)
		}
		var k pool.Group
		k.Spawn(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		gevent.Yield(ctx)
		k.Kill(ctx)
		if err := k.Join(ctx, pool.RaiseError()); err != nil {
			return fmt.Errorf("Join(RaiseError) after Kill = %v, want nil", err)
		}
		return nil
	})
}

// Ported from test__greenletset.py test_kill_block and test_kill_noblock.
func TestGroupKill(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var g pool.Group
		a, _ := g.Spawn(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		b, _ := g.Spawn(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		gevent.Yield(ctx)
		g.Kill(ctx)
		if g.Len() != 0 || !a.Dead() || !b.Dead() {
			return fmt.Errorf("after Kill: Len() = %d, dead = %v %v; want 0, true true", g.Len(), a.Dead(), b.Dead())
		}
		if !errors.Is(a.Err(), gevent.ErrGreenletExit) {
			return fmt.Errorf("killed member's Err() = %v, want ErrGreenletExit", a.Err())
		}

		c, _ := g.Spawn(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		d, _ := g.Spawn(ctx, func(ctx context.Context) error { return gevent.Sleep(ctx, time.Hour) })
		gevent.Yield(ctx)
		custom := errors.New("custom")
		done, cancel := context.WithCancel(ctx)
		cancel()
		g.Kill(done, gevent.KillError(custom)) // a done ctx: no wait
		if g.Len() != 2 {
			return fmt.Errorf("Len() right after Kill with a done ctx = %d, want 2", g.Len())
		}
		if err := g.Join(ctx); err != nil {
			return err
		}
		if c.Err() != custom || d.Err() != custom {
			return fmt.Errorf("Err() = %v, %v; want the KillError", c.Err(), d.Err())
		}
		return nil
	})
}

// undead ignores its kill: it records it and then waits, uncancellably,
// for release.
type undead struct {
	shots   atomic.Int32
	release event.Event
}

func (u *undead) run(ctx context.Context) error {
	if err := gevent.Sleep(ctx, time.Hour); err != nil {
		u.shots.Add(1)
	}
	return u.release.Wait(context.WithoutCancel(ctx))
}

// Ported from test__greenletset.py test_kill_fires_once.
func TestGroupKillFiresOnce(t *testing.T) {
	var mu sync.Mutex
	kills := map[gevent.Task]int{}
	defer pool.SetTestHookKill(func(t gevent.Task) {
		mu.Lock()
		kills[t]++
		mu.Unlock()
	})()
	killsOf := func(t gevent.Task) int {
		mu.Lock()
		defer mu.Unlock()
		return kills[t]
	}
	run(t, func(ctx context.Context) error {
		var u1, u2 undead
		p1 := gevent.Go(ctx, u1.run)
		p2 := gevent.Go(ctx, u2.run)
		gevent.Yield(ctx)
		var g pool.Group
		g.Add(p1)
		g.Add(p2)
		check := func(step string, k1, k2 int) error {
			gevent.Yield(ctx)
			if p1.Dead() || p2.Dead() {
				return fmt.Errorf("%s: an undead greenlet died", step)
			}
			if int(u1.shots.Load()) != k1 || int(u2.shots.Load()) != k2 || killsOf(p1) != k1 || killsOf(p2) != k2 {
				return fmt.Errorf("%s: shots %d %d, kills %d %d; want %d %d", step,
					u1.shots.Load(), u2.shots.Load(), killsOf(p1), killsOf(p2), k1, k2)
			}
			return nil
		}
		if err := check("start", 0, 0); err != nil {
			return err
		}
		done, cancelDone := context.WithCancel(ctx)
		cancelDone()
		g.KillOne(done, p1)
		if err := check("KillOne(p1, no wait)", 1, 0); err != nil {
			return err
		}
		// p1 is dying: a blocking KillOne neither kills nor waits.
		g.KillOne(ctx, p1)
		g.KillOne(ctx, p1)
		if err := check("KillOne(p1) twice", 1, 0); err != nil {
			return err
		}
		g.Kill(done)
		g.Kill(done)
		g.Kill(done)
		if err := check("Kill(no wait) x3", 1, 1); err != nil {
			return err
		}
		// A blocking Kill waits for the members that refuse to die, until
		// its time is up, and kills nobody again.
		tctx, cancel := gevent.WithTimeout(ctx, 10*time.Millisecond)
		g.Kill(tctx)
		cancel()
		tctx, cancel = gevent.WithTimeout(ctx, time.Millisecond)
		g.Kill(tctx)
		cancel()
		if err := check("blocking Kill", 1, 1); err != nil {
			return err
		}
		if g.Len() != 2 {
			return fmt.Errorf("Len() = %d, want 2", g.Len())
		}
		u1.release.Set()
		u2.release.Set()
		return g.Join(ctx)
	})
}

func TestGroupAddDiscard(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var g pool.Group
		var ev event.Event
		a := gevent.Spawn(ctx, func(ctx context.Context) (int, error) { return 1, ev.Wait(ctx) })
		g.Add(a)
		g.Add(a) // again: no effect
		if g.Len() != 1 || !g.Contains(a) {
			return fmt.Errorf("after Add: Len() = %d, want 1", g.Len())
		}
		g.Discard(a)
		if g.Len() != 0 || g.Contains(a) {
			return errors.New("Discard did not remove")
		}
		g.Add(a) // re-added after a discard: the stale leave must not remove it early
		g.Discard(a)
		g.Add(a)
		ev.Set()
		if err := g.Join(ctx); err != nil {
			return err
		}
		if g.Len() != 0 {
			return fmt.Errorf("Len() = %d after the member ended", g.Len())
		}
		// A task that has already ended leaves right after it is added.
		g.Add(a)
		if err := g.Join(ctx); err != nil || g.Len() != 0 {
			return fmt.Errorf("Join after adding a dead task = %v, Len() = %d", err, g.Len())
		}
		// Kill and KillOne on a group without those members do nothing.
		g.KillOne(ctx, a)
		g.Kill(ctx)
		return nil
	})
}

func TestGroupAddNilPanics(t *testing.T) {
	defer func() {
		r := recover()
		if s, _ := r.(string); s != "gevent/pool: Add: nil t" {
			t.Fatalf("panic = %v, want the nil-task message", r)
		}
	}()
	var g pool.Group
	g.Add(nil)
}

func TestGroupIsNeverFull(t *testing.T) {
	var g pool.Group
	if g.Full() {
		t.Fatal("an empty Group is full")
	}
	n, err := g.WaitAvailable(context.Background())
	if n <= 0 || err != nil {
		t.Fatalf("WaitAvailable() = %d, %v; want a positive count", n, err)
	}
}

var errReportMe = errors.New("report me")

func failingMember(context.Context) error { return errReportMe }

// The default failure report of a member made by the Spawn methods names the
// caller's function (it named an internal adapter, pool.unitBody.func1).
func TestSpawnMethodsReportTheBodyFunction(t *testing.T) {
	var buf bytes.Buffer
	w, flags := log.Writer(), log.Flags()
	log.SetOutput(&buf) // slog's default handler writes through package log
	log.SetFlags(0)
	defer func() { log.SetOutput(w); log.SetFlags(flags) }()
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		var g pool.Group
		p := pool.NewPool(1)
		for _, spawn := range []func(context.Context, func(context.Context) error, ...gevent.SpawnOption) (*gevent.Greenlet[struct{}], error){
			g.Spawn, g.TrySpawn, p.Spawn, p.TrySpawn,
		} {
			gl, err := spawn(ctx, failingMember)
			if err != nil {
				return err
			}
			if err := gl.Join(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := strings.Count(out, "greenlet=pool_test.failingMember "); n != 4 {
		t.Errorf("%d of 4 reports name the function; log:\n%s", n, out)
	}
}
