// Package queue provides gevent's queues: multi-producer, multi-consumer
// queues whose blocking calls park the calling greenlet and let its hub run
// others (or block the calling goroutine when called from outside a hub).
//
//   - Queue: FIFO, optionally bounded, joinable (TaskDone, Join).
//   - LifoQueue: the same in stack order.
//   - PriorityQueue: the same, lowest item first under a comparison function
//     (NewPriority, or NewOrdered for cmp.Ordered types).
//   - Channel: a rendezvous that holds nothing; Put waits until a Get has
//     taken its item.
//
// Every kind has Put, Get, Peek (waiting, with a ctx that bounds the wait),
// TryPut, TryGet, TryPeek (never waiting), Len, Cap, Empty, Full, Shutdown
// and All.
//
// # Scheduling
//
// The semantics are gevent's:
//
//   - A call that can complete at once does not switch: Put on a queue with
//     room, Get or Peek on a queue with items, Join with nothing unfinished.
//     Such a call succeeds even with a cancelled ctx; a call that has to wait
//     returns ctx's cause at once when ctx is already cancelled.
//   - Blocked getters are served in arrival order, and so are blocked putters.
//   - An item is handed to a waiting Get directly, under the queue's lock,
//     and only if that Get is still waiting: a Get that was killed or timed
//     out is skipped and the item goes to the next one (or into the queue).
//     Likewise a blocked Put's item enters the queue, or is taken by a Channel
//     getter, only if that Put will return success. No item is ever lost or
//     duplicated because a waiter gave up.
//   - Shutdown wakes every blocked caller with ErrShutDown.
//
// Queues are safe to use from any goroutine and from greenlets of any number
// of hubs at once; a greenlet of another hub is woken through its hub.
//
// # Memory model
//
// A Put synchronizes before the return of the Get (or Peek) that receives its
// item, and for a Channel the Get that takes an item synchronizes before the
// return of the Put that offered it. A TaskDone synchronizes before the return
// of any Join it unblocks, and Shutdown before the return of every call it
// makes fail.
//
// # gevent names
//
//	gevent                                  this package
//	Queue(maxsize) / JoinableQueue          New[T](maxsize) *Queue[T]; the zero Queue is unbounded
//	SimpleQueue (non-joinable)              Queue (TaskDone and Join are simply not called)
//	LifoQueue(maxsize)                      NewLifo[T](maxsize), or the zero LifoQueue
//	PriorityQueue(maxsize)                  NewPriority(maxsize, cmp), NewOrdered[T](maxsize)
//	Channel()                               Channel[T] (zero value)
//	put(item, block, timeout)               Put(ctx, item) error; the deadline comes from ctx
//	get(block, timeout) / peek(...)         Get(ctx) (T, error) / Peek(ctx) (T, error)
//	put_nowait / get_nowait / peek_nowait   TryPut(item) bool / TryGet() (T, bool) / TryPeek() (T, bool)
//	queue.Full / queue.Empty exceptions     the bool of the Try methods; a blocking call returns ctx's cause
//	qsize(), len(q), empty(), full()        Len(), Empty(), Full()
//	maxsize                                 Cap() (0 when unbounded; not settable)
//	task_done(), join(timeout)              TaskDone(), Join(ctx) error
//	ValueError from task_done               a panic (one TaskDone too many is the caller's bug)
//	shutdown(immediate), ShutDown           Shutdown(immediate), ErrShutDown
//	for item in q (until StopIteration)     for item := range q.All(ctx) (until Shutdown or ctx ends)
//	Timeout raising Empty / Full            gevent.WithTimeout(ctx, d): the *gevent.Timeout is returned
//
// # Differences from gevent
//
//   - gevent appends the item and later switches to the waiting getter, so a
//     Get that arrives in between may take it. Here the item is handed to the
//     first waiting getter at once, so arrival order is strict, and Len does
//     not count an item that went straight to a getter.
//   - Symmetrically, when a Get frees a slot of a full queue, the first
//     waiting Put's item enters the queue at once (gevent's putters wait for
//     an unlock callback): a Get that follows finds it without waiting.
//   - Channel.Get takes the item of a waiting Put without switching;
//     gevent's Channel.get always waits for its unlock callback, which
//     switches to the getter and then to the putter. With several putters and
//     getters queued, the greenlets interleave differently (each pair still
//     meets in arrival order).
//   - Calls made from a hub callback cannot block; there is no special "in
//     the hub" mode: the Try methods are the non-blocking forms.
//   - Iteration ends at Shutdown or when ctx ends, not at a StopIteration
//     item; copy(), the items= constructor argument, unfinished_tasks, and the
//     getters/putters attributes have no equivalent. Channel.balance neither.
//   - Channel also has Peek, TryPeek (the item of the first waiting putter)
//     and Shutdown, which gevent's Channel lacks.
//   - gevent raises LoopExit when the main greenlet waits on a queue nothing
//     can ever fill; the wait returns gevent.ErrLoopExit here.
package queue
