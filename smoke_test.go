package gevent_test

import (
	"context"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
)

func TestSmoke(t *testing.T) {
	var log []string
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		for _, name := range []string{"1", "2"} {
			gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
				log = append(log, name+"A")
				gevent.Yield(ctx)
				log = append(log, name+"B")
				return 0, nil
			})
		}
		g := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 42, gevent.Sleep(ctx, 10*time.Millisecond)
		})
		v, err := g.Get(ctx)
		if v != 42 || err != nil {
			t.Errorf("Get = %v, %v", v, err)
		}
		s := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			return 0, gevent.Sleep(ctx, time.Hour)
		})
		gevent.Yield(ctx)
		s.Kill(ctx)
		if !s.Dead() || !s.Successful() {
			t.Errorf("killed: dead=%v successful=%v err=%v", s.Dead(), s.Successful(), s.Err())
		}
		tctx, cancel := gevent.WithTimeout(ctx, 5*time.Millisecond)
		defer cancel()
		err = gevent.Sleep(tctx, time.Hour)
		t.Logf("timeout err: %v", err)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(log)
}
