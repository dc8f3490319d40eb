// Package pool tracks groups of greenlets and bounds how many run at once:
// gevent's gevent.pool module.
//
// A Group tracks the greenlets added to it or spawned through it; each
// leaves the group when it ends. Join waits until the group has been empty,
// Kill kills every member (each at most once, however often it is called).
// A Pool is a Group with a size: its Spawn parks the calling greenlet while
// the pool is full. The package functions Spawn, Apply, ApplyAsync, Map, Imap
// and ImapUnordered work on either (a Spawner).
//
//	p := pool.NewPool(10)
//	for r, err := range pool.Imap(ctx, p, slices.Values(urls), fetch) {
//		...
//	}
//
// # Spawning
//
// Go methods cannot have type parameters, so spawning comes in two forms.
// The methods Group.Spawn and Pool.Spawn take a body without a result,
// func(ctx) error, and return a *gevent.Greenlet[struct{}], the greenlet
// gevent.Go makes (a failure report names fn itself): the form a server's
// handlers and most fire-and-forget work need, and the one the Spawner
// interface names. The package function Spawn[T](ctx, s, fn) takes
// the same func(ctx) (T, error) as gevent.Spawn and returns a typed
// *gevent.Greenlet[T]. Both create the greenlet, then take a slot (waiting
// while a Pool is full), then start it; TrySpawn does not wait.
//
// # gevent names
//
//	Group(), Pool(size), Pool(None)     var g pool.Group, pool.NewPool(size), var p pool.Pool
//	spawn(f, *args)                     g.Spawn(ctx, f) for func(ctx) error; pool.Spawn(ctx, g, f) for a typed result
//	add(g, blocking=False) / PoolFull   Group.Add(t); Pool.Add(ctx, t), Pool.TryAdd(t), ErrPoolFull
//	start(greenlet)                     Add, then the greenlet's Start
//	discard, len, in, iter              Discard, Len, Contains, All
//	join(timeout, raise_error)          Join(ctx, pool.RaiseError()); the timeout is ctx's
//	kill(exc, block, timeout)           Kill(ctx, gevent.KillError(e)); the timeout is ctx's, block=False a done ctx
//	killone(g, ...)                     KillOne(ctx, t, ...)
//	full(), free_count()                Full(), Pool.FreeCount()
//	wait_available(timeout)             WaitAvailable(ctx)
//	apply, apply_async                  pool.Apply, pool.ApplyAsync (no callback argument: Link the result)
//	map, imap, imap_unordered(maxsize)  pool.Map, pool.Imap, pool.ImapUnordered(..., pool.MaxSize(n))
//	map_async, map_cb, apply_cb         gevent.Spawn around Map or Apply
//
// # Concurrency
//
// Every method and function is safe to call from any goroutine and from
// greenlets of any hub; the members of one group may belong to different
// hubs. A greenlet waiting in Spawn, Add, WaitAvailable, Join, Kill or an
// Imap loop parks, and the hub runs others; a plain goroutine blocks. Waits
// end early with ctx's cause (a kill, a timeout), level-triggered as
// everywhere in this module.
//
// A greenlet spawned through a group or pool runs on the hub of the context
// given to the spawn (Map, Imap and Apply included): a greenlet's context
// keeps the members on its hub, and a context that spreads over a group of
// hubs (gevent.Spread, gevent.HubGroup's Context) places them on the
// group's hubs in turn, so that one Pool runs its members on every core
// while its bound holds across all of them: a Pool of 10 runs at most 10
// members at once, whatever their hubs. Members of different hubs run in
// parallel, so state they share needs the library's primitives or locks.
//
// Slots are accounted under one lock: a pool never has more members than its
// size, a freed slot goes straight to the longest-waiting Spawn (FIFO), and a
// waiter that is killed or times out never takes one, so none is ever lost.
//
// Memory model: the end (or Discard) of a member synchronizes before the
// return of the Spawn, Add or WaitAvailable that its freed slot unblocks,
// and before the return of a Join that observes the group empty. The return
// of fn for an item synchronizes before Map returns its result and before
// Imap yields it.
//
// # Differences from gevent
//
//   - Spawn takes a context; on a full pool it returns ctx's cause (a
//     *gevent.Timeout keeps its identity) where gevent raises PoolFull on
//     timeout. TrySpawn and TryAdd are gevent's blocking=False.
//   - A pool of size 0 fails every spawn and WaitAvailable at once with
//     ErrPoolFull instead of blocking until a timeout.
//   - Discard of a non-member does not free a slot (gevent's does, which lets
//     a pool over-admit).
//   - Map waits for every item and returns the results with the first error
//     in input order; gevent's raises at the first failure and leaves the
//     rest running. Map runs in the caller, not in a helper greenlet.
//   - Breaking out of an Imap loop kills the work it started; gevent's
//     iterator leaves it running.
//   - Kill's exactly-once rule is about delivery: killing is cancelling a
//     context, and a cancelled context stays cancelled with its first cause,
//     so a member that ignores its kill sees the cause at every later switch
//     point rather than a second exception.
//   - Members leave the group from their OnReady callback, on their own hub,
//     right after they end, as gevent's rawlink does.
package pool
