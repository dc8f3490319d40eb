package server

import (
	"context"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/pool"
)

// Spawner runs a server's handlers (gevent's spawn= argument given a Pool):
// *pool.Pool and *pool.Group satisfy it. The server calls Full and
// WaitAvailable before each accept, so that it stops accepting while the
// spawner is full and resumes when a slot frees, then Spawn (from the accept
// loop's greenlet) to start the handler.
type Spawner interface {
	// Spawn starts fn in a new greenlet, parking the caller while there is
	// no room.
	Spawn(ctx context.Context, fn func(context.Context) error, opts ...gevent.SpawnOption) (*gevent.Greenlet[struct{}], error)
	// Full reports whether Spawn would wait.
	Full() bool
	// WaitAvailable waits until Spawn would not wait.
	WaitAvailable(ctx context.Context) (int, error)
}

// newPool makes the pool for MaxHandlers.
func newPool(n int) Spawner { return pool.NewPool(n) }
