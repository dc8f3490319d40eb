package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
)

func TestSleepIsExactVirtualTime(t *testing.T) {
	var at []time.Duration
	r, err := Run(t.Context(), Options{}, func(ctx context.Context) error {
		for _, d := range []time.Duration{time.Second, 3 * time.Millisecond, time.Hour} {
			if err := gevent.Sleep(ctx, d); err != nil {
				return err
			}
			at = append(at, Elapsed(ctx))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{time.Second, time.Second + 3*time.Millisecond, time.Hour + time.Second + 3*time.Millisecond}
	for i := range want {
		if at[i] != want[i] {
			t.Fatalf("elapsed after sleep %d = %v, want %v", i, at[i], want[i])
		}
	}
	if r.Elapsed != want[2] {
		t.Fatalf("Result.Elapsed = %v, want %v", r.Elapsed, want[2])
	}
}

func TestHourOfTimeouts(t *testing.T) {
	start := time.Now()
	r, err := Run(t.Context(), Options{}, func(ctx context.Context) error {
		var ev event.Event
		for i := 0; i < 3600; i++ {
			tctx, cancel := gevent.WithTimeout(ctx, time.Second)
			err := ev.Wait(tctx)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
		}
		if got := gevent.Now(ctx); !got.Equal(defaultEpoch.Add(time.Hour)) {
			t.Errorf("gevent.Now = %v, want epoch + 1h", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Elapsed != time.Hour {
		t.Fatalf("elapsed %v, want exactly 1h", r.Elapsed)
	}
	t.Logf("an hour of timeouts: %v wall, %d steps", time.Since(start), r.Steps)
}
