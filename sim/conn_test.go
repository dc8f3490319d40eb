package sim_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/sim"
	"github.com/gevent-go/gevent/socket"
)

// Bytes written in chunks of many sizes arrive complete and in order over
// a link whose jitter and loss (retransmissions) would reorder packets.
func TestStreamOrderedComplete(t *testing.T) {
	opts := sim.NetOptions{Latency: time.Millisecond, Jitter: 3 * time.Millisecond, Loss: 0.3, MSS: 100, Window: 4096, Seed: 7}
	runNet(t, opts, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		c, s := pair(ctx, t, a, b)
		want := make([]byte, 50_000)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range want {
			want[i] = byte(r.Uint32())
		}
		w := gevent.Go(ctx, func(ctx context.Context) error {
			rest := want
			for len(rest) > 0 {
				k := min(len(rest), 1+r.IntN(3000))
				if _, err := c.Write(rest[:k]); err != nil {
					return err
				}
				rest = rest[k:]
			}
			return c.Close()
		})
		got, err := readAll(s)
		if err != nil {
			return err
		}
		if err := w.Join(ctx); err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("received %d bytes, not the %d sent in order", len(got), len(want))
		}
		return nil
	})
}

// A Read returns what has arrived, up to the buffer's size.
func TestStreamPartialRead(t *testing.T) {
	runNet(t, sim.NetOptions{}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		c, s := pair(ctx, t, a, b)
		if _, err := c.Write([]byte("0123456789")); err != nil {
			return err
		}
		buf := make([]byte, 4)
		var got []string
		for range 3 {
			k, err := s.Read(buf)
			if err != nil {
				return err
			}
			got = append(got, string(buf[:k]))
		}
		if fmt.Sprint(got) != "[0123 4567 89]" {
			return fmt.Errorf("reads %q", got)
		}
		// Nothing more: a Read parks until the next write.
		gevent.Go(ctx, func(ctx context.Context) error {
			_, err := c.Write([]byte("x"))
			return err
		})
		k, err := s.Read(buf)
		if err != nil || string(buf[:k]) != "x" {
			return fmt.Errorf("read %q, %v; want x", buf[:k], err)
		}
		return nil
	})
}

// After the peer's Close, a Read returns what was written before, then
// io.EOF itself, every time; the local end can still write (half close).
func TestStreamEOFAfterPeerClose(t *testing.T) {
	runNet(t, sim.NetOptions{}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		c, s := pair(ctx, t, a, b)
		c.Write([]byte("bye"))
		c.(interface{ CloseWrite() error }).CloseWrite()
		got, err := readAll(s)
		if err != nil || string(got) != "bye" {
			return fmt.Errorf("read %q, %v", got, err)
		}
		for range 2 {
			if k, err := s.Read(make([]byte, 8)); k != 0 || err != io.EOF {
				return fmt.Errorf("read after EOF: %d, %v; want 0, io.EOF", k, err)
			}
		}
		if _, err := s.Write([]byte("back")); err != nil {
			return err
		}
		got, err = io.ReadAll(io.LimitReader(c, 4))
		if err != nil || string(got) != "back" {
			return fmt.Errorf("half-closed end read %q, %v", got, err)
		}
		if _, err := c.Write([]byte("more")); !errors.Is(err, syscall.EPIPE) {
			return fmt.Errorf("write after CloseWrite: %v, want EPIPE", err)
		}
		return nil
	})
}

// After the local Close, calls fail with net.ErrClosed, and a parked Read
// is woken with it.
func TestStreamErrClosedAfterLocalClose(t *testing.T) {
	runNet(t, sim.NetOptions{}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		c, s := pair(ctx, t, a, b)
		r := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
			_, err := s.Read(make([]byte, 8))
			return err, nil
		})
		gevent.Sleep(ctx, 5*time.Millisecond)
		if r.Ready() {
			return errors.New("Read returned with nothing to read")
		}
		s.Close()
		err, _ := r.Get(ctx)
		if !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("parked Read after Close: %v, want net.ErrClosed", err)
		}
		if _, err := s.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("Write after Close: %v", err)
		}
		if err := s.Close(); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("second Close: %v", err)
		}
		// The peer sees the close as EOF.
		if _, err := c.Read(make([]byte, 8)); err != io.EOF {
			return fmt.Errorf("peer read: %v, want io.EOF", err)
		}
		return nil
	})
}

// A crash of the server's host kills its greenlets and resets the
// connection: the client reads ECONNRESET, after what was sent before.
func TestStreamResetAfterCrash(t *testing.T) {
	runNet(t, sim.NetOptions{}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		l := listen(ctx, t, b)
		parked := new(event.Event)
		srv := b.Go(ctx, "server", func(ctx context.Context) error {
			conn, err := l.Accept()
			if err != nil {
				return err
			}
			conn.Write([]byte("hello"))
			parked.Set()
			_, err = conn.Read(make([]byte, 1)) // until killed
			return err
		})
		c, err := a.Dial(a.Context(ctx), "tcp", l.Addr().String())
		if err != nil {
			return err
		}
		if err := parked.Wait(ctx); err != nil {
			return err
		}
		b.Crash()
		if err := srv.Join(ctx); err != nil {
			return err
		}
		if !errors.Is(srv.Err(), gevent.ErrGreenletExit) {
			return fmt.Errorf("server greenlet ended with %v, want a kill", srv.Err())
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
			return fmt.Errorf("read %q, %v before the reset", buf, err)
		}
		_, err = c.Read(buf)
		if !errors.Is(err, syscall.ECONNRESET) {
			return fmt.Errorf("read after the crash: %v, want ECONNRESET", err)
		}
		if _, err := c.Write([]byte("x")); !errors.Is(err, syscall.ECONNRESET) {
			return fmt.Errorf("write after the reset: %v, want ECONNRESET", err)
		}
		return nil
	})
}

// A crashed host refuses connections; Restart runs its software again.
func TestHostRestart(t *testing.T) {
	runNet(t, sim.NetOptions{}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		starts := 0
		b.Go(ctx, "echo", func(ctx context.Context) error {
			starts++
			l, err := b.Listen(ctx, "tcp", ":7")
			if err != nil {
				return err
			}
			for {
				conn, err := l.Accept()
				if err != nil {
					return err
				}
				gevent.Go(ctx, func(ctx context.Context) error {
					defer conn.Close()
					_, err := io.Copy(conn, conn)
					return err
				})
			}
		})
		echo := func() error {
			c, err := socket.Dial(a.Context(ctx), "tcp", "b:7")
			if err != nil {
				return err
			}
			defer c.Close()
			c.Write([]byte("ping"))
			buf := make([]byte, 4)
			_, err = io.ReadFull(c, buf)
			return err
		}
		gevent.Yield(ctx) // let the server listen
		if err := echo(); err != nil {
			return fmt.Errorf("before the crash: %v", err)
		}
		b.Crash()
		if !b.Down() {
			return errors.New("crashed host not down")
		}
		if err := echo(); !errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("dial to a crashed host: %v, want ECONNREFUSED", err)
		}
		b.Restart(ctx)
		gevent.Yield(ctx)
		if err := echo(); err != nil {
			return fmt.Errorf("after Restart: %v", err)
		}
		if starts != 2 {
			return fmt.Errorf("software started %d times, want 2", starts)
		}
		return nil
	})
}

// Deadlines: a parked Read ends at the read deadline with an error that
// is os.ErrDeadlineExceeded and a timeout; moving the deadline applies to
// the parked call; the connection stays usable.
func TestStreamDeadlines(t *testing.T) {
	runNet(t, sim.NetOptions{}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		c, s := pair(ctx, t, a, b)
		start := time.Now()
		s.SetReadDeadline(start.Add(20 * time.Millisecond))
		_, err := s.Read(make([]byte, 1))
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			return fmt.Errorf("read at the deadline: %v", err)
		}
		if el := time.Since(start); el < 20*time.Millisecond {
			return fmt.Errorf("deadline fired after %v", el)
		}
		// A deadline in the past fails at once; none again parks.
		s.SetReadDeadline(time.Now().Add(-time.Second))
		if _, err := s.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("past deadline: %v", err)
		}
		s.SetReadDeadline(time.Time{})
		r := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
			_, err := s.Read(make([]byte, 1))
			return err, nil
		})
		gevent.Sleep(ctx, 5*time.Millisecond)
		if r.Ready() {
			return errors.New("read without a deadline returned")
		}
		s.SetReadDeadline(time.Now()) // moves the parked call's deadline
		if err, _ := r.Get(ctx); !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("moved deadline: %v", err)
		}
		s.SetReadDeadline(time.Time{})
		c.Write([]byte("ok"))
		buf := make([]byte, 2)
		if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "ok" {
			return fmt.Errorf("after the deadline: %q, %v", buf, err)
		}
		// A write deadline ends a Write parked on a full window.
		n.SetLink(a, b, sim.NetOptions{Window: 10})
		c2, _ := pair(ctx, t, a, b)
		c2.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
		k, err := c2.Write(make([]byte, 100))
		if !errors.Is(err, os.ErrDeadlineExceeded) || k != 10 {
			return fmt.Errorf("write on a full window: %d, %v; want 10, deadline", k, err)
		}
		return nil
	})
}

// Flow control: a Write parks while the receiver's window is full and
// resumes as it reads; nothing is lost.
func TestStreamFlowControl(t *testing.T) {
	runNet(t, sim.NetOptions{Window: 1000, MSS: 300}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		c, s := pair(ctx, t, a, b)
		want := bytes.Repeat([]byte("0123456789"), 500)
		w := gevent.Spawn(ctx, func(ctx context.Context) (int, error) { return c.Write(want) })
		gevent.Sleep(ctx, 10*time.Millisecond)
		if w.Ready() {
			return errors.New("Write of 5000 bytes into a 1000-byte window returned with no reader")
		}
		var got []byte
		buf := make([]byte, 64)
		for len(got) < len(want) {
			k, err := s.Read(buf)
			if err != nil {
				return err
			}
			got = append(got, buf[:k]...)
		}
		if k, err := w.Get(ctx); err != nil || k != len(want) {
			return fmt.Errorf("Write: %d, %v", k, err)
		}
		if !bytes.Equal(got, want) {
			return errors.New("bytes differ")
		}
		return nil
	})
}

// A greenlet killed while parked in Read consumes nothing: the next Read
// gets every byte.
func TestStreamKillDuringReadLosesNothing(t *testing.T) {
	runNet(t, sim.NetOptions{}, func(ctx context.Context, n *sim.Net, a, b *sim.Host) error {
		c, s := pair(ctx, t, a, b)
		r := gevent.Spawn(ctx, func(ctx context.Context) (int, error) { return s.Read(make([]byte, 8)) })
		gevent.Sleep(ctx, time.Millisecond)
		c.Write([]byte("data"))
		r.Kill(ctx)
		if err := r.Join(ctx); err != nil {
			return err
		}
		if !errors.Is(r.Err(), gevent.ErrGreenletExit) {
			return fmt.Errorf("reader: %v", r.Err())
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "data" {
			return fmt.Errorf("read %q, %v", buf, err)
		}
		return nil
	})
}
