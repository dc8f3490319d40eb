package socket_test

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/socket"
)

// TCP urgent data makes a read stop short at the urgent mark with data
// still queued behind it: such a short read does not drain the queue, and
// no further readable edge comes for the data already there. The reader
// must still get every byte ("efg" sent with the urgent byte before the
// reader was woken) instead of waiting for an edge that never comes, and
// a later read on the emptied queue must park, not spin.
func TestReadPastUrgentMark(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		cli, err := socket.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer cli.Close()
		srv, err := ln.Accept()
		if err != nil {
			return err
		}
		defer srv.Close()
		rc, err := srv.(*socket.Conn).NetConn().(*net.TCPConn).SyscallConn()
		if err != nil {
			return err
		}
		var first, rest event.Event
		reader := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			return gevent.WithTimeoutFunc(ctx, 3*time.Second, func(ctx context.Context) (string, error) {
				var got []byte
				buf := make([]byte, 100)
				for len(got) < len("xabcefg") {
					n, err := cli.Read(buf)
					got = append(got, buf[:n]...)
					if err != nil {
						return string(got), err
					}
					if string(got) == "x" {
						first.Set()
					}
				}
				rest.Set()
				// The queue is empty now: this read must park (not spin on
				// EAGAIN, which would stall the hub) until "h" comes.
				n, err := cli.Read(buf)
				return string(append(got, buf[:n]...)), err
			})
		})
		gevent.Yield(ctx) // the reader registers the descriptor and parks
		if _, err := srv.Write([]byte("x")); err != nil {
			return err
		}
		if err := first.Wait(ctx); err != nil { // a short read: drained
			return err
		}
		if _, err := srv.Write([]byte("abc")); err != nil {
			return err
		}
		var serr error
		if err := rc.Write(func(fd uintptr) bool {
			serr = syscall.Sendto(int(fd), []byte("d"), syscall.MSG_OOB, nil)
			return true
		}); err != nil {
			return err
		}
		if serr != nil {
			return serr
		}
		if _, err := srv.Write([]byte("efg")); err != nil {
			return err
		}
		if err := rest.Wait(ctx); err != nil { // then it reads again and parks
			return err
		}
		if _, err := srv.Write([]byte("h")); err != nil {
			return err
		}
		got, err := reader.Get(ctx)
		if err != nil || got != "xabcefgh" {
			t.Fatalf("read %q, %v; want %q", got, err, "xabcefgh")
		}
		return nil
	})
}
