package gevent

// Killing: the kill functions and their option.

import (
	"context"

	"github.com/gevent-go/gevent/internal/core"
)

// KillOption configures a kill (Greenlet.Kill, Kill, KillAll, and the kills
// of package pool).
type KillOption func(*killConfig)

type killConfig struct {
	err error
}

// KillError makes the kill deliver err instead of ErrGreenletExit. A greenlet
// that ends with it is not successful.
func KillError(err error) KillOption { return func(c *killConfig) { c.err = err } }

func killOptions(opts []KillOption) killConfig {
	c := killConfig{err: ErrGreenletExit}
	for _, o := range opts {
		o(&c)
	}
	if c.err == nil {
		c.err = ErrGreenletExit
	}
	return c
}

// Kill kills t (see Greenlet.Kill for what a kill does) without waiting for
// its end, and yields once, as guv's kill does: when ctx is the context of a
// running greenlet and t had not ended, the caller goes to the back of its
// hub's callback queue, so that a t of the same hub reacts to the kill (it
// runs up to its next switch point or its end) and the notification of a t
// killed before it started runs, before Kill returns. It never returns an
// error. With a context that carries no greenlet (a plain goroutine's, a hub
// callback's), or when t has already ended, it does not switch, as gevent's
// kill never does.
func Kill(ctx context.Context, t Task, opts ...KillOption) {
	if ctx == nil {
		panic("gevent: Kill: nil ctx")
	}
	if t == nil || t.core() == nil {
		panic("gevent: Kill: nil t")
	}
	g := t.core()
	if g.Dead() {
		return
	}
	c := killOptions(opts)
	g.Kill(c.err)
	_, _ = core.Yield(ctx)
}

// KillAll kills every task (those not started first, without running them,
// then the others in order) and waits until all have ended, for as long as
// ctx allows. Unlike Greenlet.Kill, running out of time is an error here: it
// returns ctx's cause when ctx ends while a task is still alive (gevent's
// killall propagates its Timeout): the *Timeout of a gevent.WithTimeout
// context, at once when ctx is already done. tasks may be a []Task or a
// []*Greenlet[T].
func KillAll[T Task](ctx context.Context, tasks []T, opts ...KillOption) error {
	if ctx == nil {
		panic("gevent: KillAll: nil ctx")
	}
	checkTasks(tasks, "KillAll")
	c := killOptions(opts)
	for _, t := range tasks {
		if g := t.core(); g.State() != core.StateRunning {
			g.Kill(c.err)
		}
	}
	for _, t := range tasks {
		t.core().Kill(c.err)
	}
	for _, t := range tasks {
		if err := t.core().Join(ctx); err != nil {
			return err
		}
	}
	return nil
}
