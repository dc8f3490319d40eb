package queue_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/queue"
)

// TestChannelSend ports test_send: the putter continues only after the getter
// has run with the item.
func TestChannelSend(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ch queue.Channel[string]
		var events []string
		g := spawn(ctx, func(ctx context.Context) (int, error) {
			for range 2 {
				v, err := ch.Get(ctx)
				if err != nil {
					return 0, err
				}
				events = append(events, v)
			}
			return 0, nil
		})
		events = append(events, "sending")
		ch.Put(ctx, "hello")
		events = append(events, "sent hello")
		ch.Put(ctx, "world")
		events = append(events, "sent world")
		want := []string{"sending", "hello", "sent hello", "world", "sent world"}
		if !slices.Equal(events, want) {
			t.Errorf("events = %q, want %q", events, want)
		}
		_, err := g.Get(ctx)
		return err
	})
}

// TestChannelWait ports test_wait.
func TestChannelWait(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ch queue.Channel[string]
		var events []string
		g := spawn(ctx, func(ctx context.Context) (int, error) {
			events = append(events, "sending hello")
			ch.Put(ctx, "hello")
			events = append(events, "sending world")
			ch.Put(ctx, "world")
			events = append(events, "sent world")
			return 0, nil
		})
		events = append(events, "waiting")
		for range 2 {
			v, _ := ch.Get(ctx)
			events = append(events, v)
		}
		want := []string{"waiting", "sending hello", "hello", "sending world", "world"}
		if !slices.Equal(events, want) {
			t.Errorf("events = %q, want %q", events, want)
		}
		gevent.Yield(ctx)
		want = append(want, "sent world")
		if !slices.Equal(events, want) {
			t.Errorf("events = %q, want %q", events, want)
		}
		_, err := g.Get(ctx)
		return err
	})
}

// TestChannelRendezvous ports test_zero_max_size: Put waits for a getter.
func TestChannelRendezvous(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ch queue.Channel[string]
		sender := spawn(ctx, func(ctx context.Context) (string, error) {
			return "done", ch.Put(ctx, "hi")
		})
		gevent.Sleep(ctx, time.Millisecond)
		if sender.Ready() {
			t.Fatalf("Put returned with no getter")
		}
		if ch.Len() != 0 || !ch.Empty() || !ch.Full() || ch.Cap() != 0 {
			t.Errorf("Len, Empty, Full, Cap = %d, %v, %v, %d; want 0, true, true, 0",
				ch.Len(), ch.Empty(), ch.Full(), ch.Cap())
		}
		if v, ok := ch.TryPeek(); v != "hi" || !ok {
			t.Errorf("TryPeek = %q, %v", v, ok)
		}
		if v, err := ch.Get(ctx); v != "hi" || err != nil {
			t.Errorf("Get = %q, %v", v, err)
		}
		if v, err := sender.Get(ctx); v != "done" || err != nil {
			t.Errorf("Put = %v", err)
		}
		return nil
	})
}

// TestChannelTry: TryPut needs a waiting getter and TryGet a waiting putter
// (test_put_nowait_simple, test_get_nowait_unlock_channel).
func TestChannelTry(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ch queue.Channel[int]
		if ch.TryPut(1) {
			t.Errorf("TryPut with no getter = true")
		}
		if v, ok := ch.TryGet(); ok {
			t.Errorf("TryGet with no putter = %v", v)
		}
		p := spawn(ctx, func(ctx context.Context) (int, error) { return 0, ch.Put(ctx, 5) })
		gevent.Yield(ctx)
		if v, ok := ch.TryGet(); v != 5 || !ok {
			t.Errorf("TryGet with a waiting putter = %v, %v", v, ok)
		}
		if _, err := p.Get(ctx); err != nil {
			t.Errorf("Put = %v", err)
		}
		g := spawn(ctx, ch.Get)
		gevent.Yield(ctx)
		ran := false
		gevent.SpawnRaw(ctx, func(context.Context) { ran = true })
		if !ch.TryPut(10) {
			t.Errorf("TryPut with a waiting getter = false")
		}
		if ran {
			t.Errorf("TryPut switched")
		}
		if v, err := g.Get(ctx); v != 10 || err != nil {
			t.Errorf("Get = %v, %v", v, err)
		}
		return nil
	})
}

// TestChannelKilledPutterLeavesNothing: the item of a putter that was killed
// (still queued: it has not run since) is never delivered.
func TestChannelKilledPutterLeavesNothing(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ch queue.Channel[string]
		dying := spawn(ctx, func(ctx context.Context) (int, error) { return 0, ch.Put(ctx, "dead") })
		live := spawn(ctx, func(ctx context.Context) (int, error) { return 0, ch.Put(ctx, "live") })
		gevent.Yield(ctx)
		gevent.Kill(context.Background(), dying)
		if v, ok := ch.TryPeek(); v != "live" || !ok {
			t.Errorf("TryPeek = %q, %v; want live", v, ok)
		}
		if v, err := ch.Get(ctx); v != "live" || err != nil {
			t.Errorf("Get = %q, %v; want live", v, err)
		}
		if v, ok := ch.TryGet(); ok {
			t.Errorf("TryGet = %q: a killed putter's item was delivered", v)
		}
		if _, err := dying.Get(ctx); !errors.Is(err, gevent.ErrGreenletExit) {
			t.Errorf("killed Put = %v", err)
		}
		if _, err := live.Get(ctx); err != nil {
			t.Errorf("live Put = %v", err)
		}
		// A putter that times out is withdrawn too.
		tctx, cancel := gevent.WithTimeout(ctx, time.Millisecond)
		defer cancel()
		if err := ch.Put(tctx, "late"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Put with no getter and a timeout = %v", err)
		}
		if v, ok := ch.TryGet(); ok {
			t.Errorf("TryGet = %q after the putter timed out", v)
		}
		return nil
	})
}

// TestChannelKilledGetterIsSkipped: the item goes to the next live getter.
func TestChannelKilledGetterIsSkipped(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ch queue.Channel[int]
		dying, live := spawn(ctx, ch.Get), spawn(ctx, ch.Get)
		gevent.Yield(ctx)
		gevent.Kill(context.Background(), dying)
		if err := ch.Put(ctx, 3); err != nil {
			t.Errorf("Put = %v", err)
		}
		if v, err := live.Get(ctx); v != 3 || err != nil {
			t.Errorf("live Get = %v, %v", v, err)
		}
		if _, err := dying.Get(ctx); !errors.Is(err, gevent.ErrGreenletExit) {
			t.Errorf("killed Get = %v", err)
		}
		return nil
	})
}

func TestChannelPeek(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ch queue.Channel[int]
		peeker := spawn(ctx, ch.Peek)
		gevent.Yield(ctx)
		// An item nobody takes is not shown to a Peek.
		if ch.TryPut(1) || ch.Put(cancelled(ctx), 2) == nil {
			t.Fatalf("TryPut or cancelled Put succeeded with only a Peek waiting")
		}
		gevent.Yield(ctx)
		if peeker.Ready() {
			v, _ := peeker.Get(ctx)
			t.Fatalf("Peek saw %d from a Put that failed", v)
		}
		p := spawn(ctx, func(ctx context.Context) (int, error) { return 0, ch.Put(ctx, 4) })
		if v, err := peeker.Get(ctx); v != 4 || err != nil {
			t.Errorf("Peek = %v, %v", v, err)
		}
		if p.Ready() {
			t.Errorf("Put returned after a Peek only")
		}
		if v, err := ch.Peek(ctx); v != 4 || err != nil {
			t.Errorf("Peek with a waiting putter = %v, %v", v, err)
		}
		if v, err := ch.Get(ctx); v != 4 || err != nil {
			t.Errorf("Get = %v, %v", v, err)
		}
		_, err := p.Get(ctx)
		return err
	})
}

func TestChannelShutdown(t *testing.T) {
	run(t, func(ctx context.Context) error {
		var ch queue.Channel[int]
		g := spawn(ctx, ch.Get)
		var ch2 queue.Channel[int]
		p := spawn(ctx, func(ctx context.Context) (int, error) { return 0, ch2.Put(ctx, 1) })
		gevent.Yield(ctx)
		ch.Shutdown(false)
		ch2.Shutdown(true)
		for _, task := range []*gevent.Greenlet[int]{g, p} {
			if _, err := task.Get(ctx); !errors.Is(err, queue.ErrShutDown) {
				t.Errorf("blocked call = %v, want ErrShutDown", err)
			}
		}
		if err := ch.Put(ctx, 1); !errors.Is(err, queue.ErrShutDown) {
			t.Errorf("Put after Shutdown = %v", err)
		}
		if _, err := ch2.Get(ctx); !errors.Is(err, queue.ErrShutDown) {
			t.Errorf("Get after Shutdown = %v", err)
		}
		if ch.TryPut(1) {
			t.Errorf("TryPut after Shutdown = true")
		}
		// The iterator ends at Shutdown (gevent's test_iterable ends at
		// StopIteration).
		var ch3 queue.Channel[int]
		gevent.SpawnRaw(ctx, func(ctx context.Context) {
			ch3.Put(ctx, 1)
			ch3.Put(ctx, 2)
			ch3.Shutdown(false)
		})
		var got []int
		for v := range ch3.All(ctx) {
			got = append(got, v)
		}
		if !slices.Equal(got, []int{1, 2}) {
			t.Errorf("All = %v, want [1 2]", got)
		}
		return nil
	})
}

// TestChannelGoroutines: a Put from a plain goroutine returns only after a
// Get took the item.
func TestChannelGoroutines(t *testing.T) {
	var ch queue.Channel[int]
	ctx := context.Background()
	const n = 200
	done := make(chan int)
	go func() {
		sum := 0
		for range n {
			v, err := ch.Get(ctx)
			if err != nil {
				t.Errorf("Get = %v", err)
			}
			sum += v
		}
		done <- sum
	}()
	for i := range n {
		if err := ch.Put(ctx, i); err != nil {
			t.Fatalf("Put = %v", err)
		}
	}
	if sum := <-done; sum != n*(n-1)/2 {
		t.Errorf("sum = %d, want %d", sum, n*(n-1)/2)
	}
}
