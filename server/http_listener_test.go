package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

// ServeHTTP given a cooperative listener (socket.Listen's, the natural
// choice in a greenlet) serves it: net/http accepts on its own goroutines,
// where the *socket.Listener's Accept would act on whatever greenlet the
// hub happens to run (a race, then a corrupted hub), so ServeHTTP takes the
// standard listener under it.
func TestServeHTTPOnSocketListener(t *testing.T) {
	watchdog(t, 30*time.Second)
	runHub(t, func(ctx context.Context) error {
		l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
			return server.ServeHTTP(ctx, l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = gevent.Sleep(r.Context(), time.Millisecond)
				fmt.Fprint(w, "ok")
			})), nil
		})
		// Greenlets keep the hub busy while net/http accepts.
		stop := false
		busy := gevent.Go(ctx, func(ctx context.Context) error {
			for !stop {
				if err := gevent.Yield(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		for i := range 5 {
			body, err := gevent.Blocking(ctx, func(context.Context) (string, error) {
				resp, err := http.Get("http://" + l.Addr().String())
				if err != nil {
					return "", err
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				return string(b), err
			})
			if err != nil || body != "ok" {
				t.Errorf("GET %d = %q, %v; want ok", i, body, err)
			}
		}
		stop = true
		_ = busy.Join(ctx)
		http.DefaultClient.CloseIdleConnections()
		srv.Kill(ctx)
		if err := srv.Value(); err != nil && !errors.Is(err, gevent.ErrGreenletExit) {
			t.Errorf("ServeHTTP = %v", err)
		}
		return nil
	})
}
