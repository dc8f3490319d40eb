package socket_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/socket"
)

// oneFreeDescriptor returns a descriptor limit under which exactly one
// descriptor number is free: the second lowest free number (the limit
// bounds numbers, not how many are open).
func oneFreeDescriptor(t *testing.T) uint64 {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	open := make(map[uint64]bool, len(ents))
	for _, e := range ents {
		if n, err := strconv.ParseUint(e.Name(), 10, 64); err == nil {
			open[n] = true
		}
	}
	// ReadDir's own descriptor is closed again: it counts as free.
	free := 0
	for n := uint64(0); ; n++ {
		if !open[n] || isDirFD(n) {
			if free++; free == 2 {
				return n
			}
		}
	}
}

// isDirFD reports whether n was ReadDir's descriptor (now closed).
func isDirFD(n uint64) bool {
	_, err := os.Readlink("/proc/self/fd/" + strconv.FormatUint(n, 10))
	return err != nil
}

// An Accept that runs out of descriptors fails with EMFILE without losing
// the connection (gevent's accept leaves it queued): when descriptors free
// up, the next Accept returns it. With one descriptor left, accept4 took
// it and making the net.Conn (which duplicates the descriptor) failed, and
// the connection was closed: at the limit, every queued client was
// dropped, one per accept back-off.
func TestAcceptOutOfDescriptorsKeepsTheConnection(t *testing.T) {
	failAfter(t, 30*time.Second)
	geventtest.Run(t, func(ctx context.Context) error {
		ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer client.Close()
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return err
		}
		// One descriptor left: accept4 gets it, a duplicate would not.
		low := lim
		low.Cur = oneFreeDescriptor(t)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
			t.Skipf("setrlimit: %v", err)
		}
		c, aerr := ln.Accept()
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Fatalf("restoring the limit: %v", err)
		}
		if aerr == nil {
			c.Close()
			t.Skip("Accept did not run out of descriptors")
		}
		if !errors.Is(aerr, syscall.EMFILE) {
			t.Fatalf("Accept at the limit: %v, want EMFILE", aerr)
		}
		// Descriptors are back: the same connection comes out.
		ln.(*socket.Listener).SetDeadline(time.Now().Add(5 * time.Second))
		c, err = ln.Accept()
		if err != nil {
			t.Fatalf("Accept after the limit was raised: %v (the connection was lost)", err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, "ok"); err != nil {
			t.Fatalf("write to the accepted connection: %v", err)
		}
		buf := make([]byte, 2)
		client.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(client, buf); err != nil || string(buf) != "ok" {
			t.Errorf("the client read %q, %v: its connection was lost", buf, err)
		}
		return nil
	})
}
