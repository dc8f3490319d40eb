package queue_test

import (
	"context"
	"fmt"
	"iter"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/internal/leakcheck"
	"github.com/gevent-go/gevent/queue"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// intQueue is what every queue kind of the package offers, for tests that
// run over all of them.
type intQueue interface {
	Put(ctx context.Context, v int) error
	Get(ctx context.Context) (int, error)
	Peek(ctx context.Context) (int, error)
	TryPut(v int) bool
	TryGet() (int, bool)
	TryPeek() (int, bool)
	Len() int
	Cap() int
	Empty() bool
	Full() bool
	Shutdown(immediate bool)
	All(ctx context.Context) iter.Seq[int]
}

// joinable is intQueue plus task counting (the buffered kinds).
type joinable interface {
	intQueue
	TaskDone()
	Join(ctx context.Context) error
}

var (
	_ joinable = (*queue.Queue[int])(nil)
	_ joinable = (*queue.LifoQueue[int])(nil)
	_ joinable = (*queue.PriorityQueue[int])(nil)
	_ intQueue = (*queue.Channel[int])(nil)
)

// kinds makes each buffered queue kind with a maxsize.
var kinds = []struct {
	name string
	make func(maxsize int) joinable
}{
	{"Queue", func(n int) joinable { return queue.New[int](n) }},
	{"LifoQueue", func(n int) joinable { return queue.NewLifo[int](n) }},
	{"PriorityQueue", func(n int) joinable { return queue.NewOrdered[int](n) }},
}

// run runs body as the main greenlet of a new hub and fails the test on error.
func run(t *testing.T, body func(ctx context.Context) error) {
	t.Helper()
	// Greenlets that end with ErrShutDown or a timeout are expected here:
	// keep the hub's default report out of the test log.
	geventtest.Run(t, body, gevent.WithErrorHandler(func(gevent.Task, error) {}))
}

// spawn starts fn as a greenlet that returns (value, error).
func spawn[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) *gevent.Greenlet[T] {
	return gevent.Spawn(ctx, fn)
}

// cancelled returns a context derived from ctx that is already cancelled.
func cancelled(ctx context.Context) context.Context {
	c, cancel := context.WithCancel(ctx)
	cancel()
	return c
}

// taskDoneTooMany is the panic of one TaskDone too many: a caller's bug.
const taskDoneTooMany = "gevent/queue: TaskDone called too many times"

// taskDonePanic calls q.TaskDone and returns what it panicked with (""
// if it did not), for greenlets, where t.Fatal may not be called.
func taskDonePanic(q interface{ TaskDone() }) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg = fmt.Sprint(p)
		}
	}()
	q.TaskDone()
	return ""
}
