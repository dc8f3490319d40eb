//go:build unix

package gevent_test

import (
	"context"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/internal/leakcheck"
)

func TestSignalHandler(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		waiter := gevent.Spawn(ctx, sleeper)
		var got atomic.Int32
		stop := gevent.SignalHandler(ctx, syscall.SIGUSR1, func(hctx context.Context) {
			got.Add(1)
			gevent.Kill(hctx, waiter)
		})
		defer stop()
		if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		if err := waiter.Join(ctx); err != nil {
			return err
		}
		if got.Load() != 1 {
			t.Errorf("handler ran %d times, want 1", got.Load())
		}
		stop()
		stop() // idempotent
		return nil
	})
}

// A hub that is served must not leak goroutines either (its helper and
// worker goroutines end with it).
func TestLeakcheckCleanAfterHub(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		gevent.Blocking(ctx, func(context.Context) (int, error) { return 0, nil })
		stop := gevent.SignalHandler(ctx, syscall.SIGUSR2, func(context.Context) {})
		_ = stop // stopped by the hub when it closes
		return nil
	})
	if err := leakcheck.Find(5 * time.Second); err != nil {
		t.Error(err)
	}
}
