package server

import (
	"context"
	"io"
	"log"
	"net"
	"sync"
	"time"

	"github.com/gevent-go/gevent/socket"
)

// maxDatagram is the read buffer of a DatagramServer: the largest UDP
// payload (gevent reads 8192 bytes and truncates longer datagrams).
const maxDatagram = 64 << 10

// DatagramServer is a UDP (or any packet) server: gevent's DatagramServer.
// It reads datagrams and runs Handler for each one in its own greenlet on
// the hub of the context given to Serve. Handlers reply with WriteTo.
//
// Set the fields before the first Serve and do not change them afterwards.
// The methods are safe to call from any goroutine and any greenlet.
type DatagramServer struct {
	// Addr is the UDP address ListenAndServe listens on.
	Addr string

	// Handler handles one datagram: data (owned by the handler) and the
	// sender's address. It runs in a new greenlet whose ctx carries the
	// values of Serve's ctx and is cancelled when the server kills it. A
	// panic is reported to the hub's error handler and ends only this
	// handler.
	Handler func(ctx context.Context, data []byte, addr net.Addr)

	// Pool, when not nil, runs the handlers; while it is full the server
	// stops reading. A *pool.Pool satisfies it.
	Pool Spawner

	// MaxHandlers, when Pool is nil and MaxHandlers > 0, bounds the
	// handlers running at once with a pool.Pool of that size.
	MaxHandlers int

	// ErrorLog receives read errors and handlers that could not be
	// started (a Pool's Spawn failed: the datagram is dropped and the
	// server backs off as after a read error); nil means the log
	// package's standard logger.
	ErrorLog *log.Logger

	base base
	wmu  sendLock // serialises WriteTo (gevent's sendto semaphore)

	mu   sync.Mutex     // guards last
	last net.PacketConn // the most recently served conn, for WriteTo
}

// packetConnKey is the context key under which a read loop's ctx, and so
// its handlers' contexts, carry the PacketConn the datagram arrived on.
type packetConnKey struct{}

// ListenAndServe listens on s.Addr with socket.ListenPacket and calls
// Serve. With a context that spreads over a group of hubs it serves on every
// hub, as StreamServer.ListenAndServe does: one SO_REUSEPORT socket and read
// loop per hub on Linux (each handler replies through its hub's socket), a
// hand-off elsewhere.
func (s *DatagramServer) ListenAndServe(ctx context.Context) error {
	addr, err := s.base.listenAddr(ctx, s.Addr)
	if err != nil {
		return err
	}
	if s.Handler == nil {
		panic("gevent/server: DatagramServer.ListenAndServe with a nil Handler")
	}
	if g := perHub(ctx); g != nil {
		pcs, err := listenPacketEach(ctx, g.Hubs(), addr)
		if err != nil {
			return err
		}
		return s.serveEach(ctx, g.Hubs(), pcs)
	}
	pc, err := socket.ListenPacket(ctx, "udp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, pc)
}

// Serve reads datagrams from pc and runs Handler for each in a new
// greenlet, until Close or Shutdown (it returns ErrServerClosed), a fatal
// error (returned), or the cancellation of ctx (it returns ctx's cause). pc
// is closed when Serve returns; a PacketConn that is not cooperative is
// wrapped with socket.WrapPacketConn. ctx must belong to a hub, as for
// StreamServer.Serve; the read loop runs in its own greenlet, named
// "server.read". With a context that spreads over a group of hubs, the read
// loop runs on ctx's own hub and hands each datagram to the group's hubs in
// turn (its handler's WriteTo goes through a PacketConn of its own hub).
// Like the accept loop, the read loop yields after every 100 datagrams.
func (s *DatagramServer) Serve(ctx context.Context, pc net.PacketConn) error {
	needHub(ctx, "Serve")
	if s.Handler == nil {
		panic("gevent/server: DatagramServer.Serve with a nil Handler")
	}
	pc = socket.WrapPacketConn(ctx, pc)
	s.mu.Lock()
	s.last = pc
	s.mu.Unlock()
	var closer io.Closer = pc
	var ho *packetHandOff
	if g := spreadGroup(ctx); g != nil {
		ho = newPacketHandOff(ctx, g, pc)
		closer = ho
	}
	ctx = context.WithValue(ctx, packetConnKey{}, pc)
	return s.base.serve(ctx, closer, "server.read", func(ctx context.Context, lp *loop) error {
		return s.readLoop(ctx, pc, ho)
	})
}

// readLoop reads datagrams and starts their handlers (on the hubs of ho in
// turn, when not nil).
func (s *DatagramServer) readLoop(ctx context.Context, pc net.PacketConn, ho *packetHandOff) error {
	sp := s.base.resolveSpawner(s.Pool, s.MaxHandlers)
	buf := make([]byte, maxDatagram)
	var delay time.Duration
	var taken int // datagrams since the last yield (paced)
	for {
		if err := waitRoom(ctx, sp); err != nil {
			return err
		}
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			if s.base.closed() {
				return ErrServerClosed
			}
			if cerr := contextCause(ctx); cerr != nil {
				return cerr
			}
			if isFatal(err) {
				logf(s.ErrorLog, "gevent/server: read on %v failed: %v; closing", pc.LocalAddr(), err)
				return err
			}
			delay = backoff(delay)
			logf(s.ErrorLog, "gevent/server: read error: %v; retrying in %v", err, delay)
			if err := sleepBackoff(ctx, delay); err != nil {
				return err
			}
			continue
		}
		delay = 0
		data := make([]byte, n)
		copy(data, buf[:n])
		hctx := ctx
		if ho != nil {
			hctx = ho.next(ctx)
		}
		if err := s.base.start(hctx, sp, nil, func(ctx context.Context) {
			s.Handler(ctx, data, addr)
		}); err != nil {
			if err := s.base.startFailed(ctx, s.ErrorLog, err, &delay); err != nil {
				return err
			}
		}
		if err := paced(ctx, &taken); err != nil {
			return err
		}
	}
}

// WriteTo sends b to addr (gevent's sendto): from a handler, through the
// PacketConn its datagram arrived on; otherwise through the one most
// recently given to Serve. Writes are serialised, first come first served:
// from a greenlet the caller parks while another write is in progress.
// It returns net.ErrClosed when the server has no PacketConn.
func (s *DatagramServer) WriteTo(ctx context.Context, b []byte, addr net.Addr) (int, error) {
	pc, _ := ctx.Value(packetConnKey{}).(net.PacketConn)
	if pc == nil {
		s.mu.Lock()
		pc = s.last
		s.mu.Unlock()
	}
	if pc == nil {
		return 0, &net.OpError{Op: "write", Net: "udp", Addr: addr, Err: net.ErrClosed}
	}
	if err := s.wmu.lock(ctx); err != nil {
		return 0, err
	}
	defer s.wmu.unlock()
	return pc.WriteTo(b, addr)
}

// Close stops the server at once: closes the PacketConns, so that every
// Serve returns ErrServerClosed, and kills every handler without waiting.
func (s *DatagramServer) Close() error { return s.base.close() }

// Shutdown stops reading, waits for the running handlers while ctx allows,
// then kills the rest; see StreamServer.Shutdown.
func (s *DatagramServer) Shutdown(ctx context.Context) error { return s.base.shutdown(ctx) }
