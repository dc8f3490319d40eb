package socket_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/socket"
)

// A TCP read shorter than its buffer makes the next read wait for a
// readable event instead of failing with EAGAIN first. The peer's FIN (or
// reset) queued behind the data raises no further event once the event
// that carried both has been handled: the reader must still see the end of
// the stream. Each round parks the reader first, then has the peer write
// and close in one step, so one event reports the data and the shutdown
// together.
func TestReadSeesEOFQueuedBehindData(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		for round := range 50 {
			cli, err := socket.Dial(ctx, "tcp", ln.Addr().String())
			if err != nil {
				return err
			}
			srv, err := ln.Accept()
			if err != nil {
				return err
			}
			reader := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
				got, err := gevent.WithTimeoutFunc(ctx, 5*time.Second, func(ctx context.Context) ([]byte, error) {
					return io.ReadAll(cli)
				})
				return string(got), err
			})
			gevent.Yield(ctx) // the reader reads, finds nothing and parks
			if _, err := io.WriteString(srv, "last words"); err != nil {
				return err
			}
			srv.Close()
			got, err := reader.Get(ctx)
			cli.Close()
			if err != nil || got != "last words" {
				t.Fatalf("round %d: read %q, %v; want %q and the end of the stream", round, got, err, "last words")
			}
		}
		return nil
	})
}
