package socket_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gevent-go/gevent/socket"
)

// Dial with a context that carries no greenlet (a Hub's Context) inside a
// hub callback would block the hub for the whole connect: it panics, as the
// library's other blocking calls do there, instead of connecting on the
// hub's goroutine.
func TestDialInHubCallback(t *testing.T) {
	failAfter(t, 30*time.Second)
	addr := unanswered(t)
	onHubs(t, func(ctx0, hctx context.Context) error {
		// hctx, a Hub's Context, carries no greenlet: a blocking call made
		// with it blocks the calling goroutine, here hub 0's.
		v, err := inCallback(ctx0, func() {
			if c, err := socket.Dial(hctx, "tcp", addr); err == nil {
				c.Close()
			}
		})
		if err != nil {
			return err
		}
		if msg, _ := v.(string); !strings.HasPrefix(msg, "gevent") || !strings.Contains(msg, "callback") {
			t.Errorf("Dial in a hub callback: panic %v, want a gevent message naming the callback", v)
		}
		return nil
	})
}
