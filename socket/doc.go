// Package socket provides cooperative network I/O, gevent's gevent.socket:
// Dial, Listen and ListenPacket return standard net.Conn, net.Listener and
// net.PacketConn values whose blocking calls park only the calling greenlet
// while its hub keeps serving every other greenlet and connection. Because
// the values are the standard interfaces, bufio, io.Copy, crypto/tls,
// encoding/json and net/http work over them unchanged.
//
// # gevent names
//
//	gevent                                  Go
//	gevent.socket.create_connection(addr)   Dial(ctx, "tcp", addr)
//	socket.socket() + bind + listen         Listen(ctx, "tcp", addr)
//	socket(SOCK_DGRAM) + bind               ListenPacket(ctx, "udp", addr)
//	sock.accept()                           (*Listener).Accept
//	sock.recv / recv_into / sendall         (*Conn).Read / Write (Write writes all)
//	sock.recvfrom / sendto                  (*PacketConn).ReadFrom / WriteTo
//	sock.settimeout(s)                      SetDeadline(time.Now().Add(s))
//	with Timeout(s): sock.recv(n)           gevent.WithTimeoutFunc(ctx, s, func(ctx) (int, error) { return c.Read(b) })
//	socket.timeout                          an error wrapping os.ErrDeadlineExceeded
//	sock.shutdown(SHUT_WR)                  (*Conn).CloseWrite
//	sock.close() while others wait          Close: waiters get net.ErrClosed
//	socket.socket(fileno=...)/fromfd        WrapConn, WrapListener, WrapPacketConn
//	gevent.monkey.patch_socket()            no equivalent (see below)
//	patched requests.get / urllib           HTTPClient(ctx).Get(url)
//
// # HTTP clients
//
// net/http's client blocks its calling goroutine, which in a greenlet is the
// hub's. HTTPClient returns a standard *http.Client (HTTPTransport wraps any
// http.RoundTripper) whose requests run on goroutines of their own while the
// calling greenlet parks, and whose response bodies park the greenlet that
// reads them: any number of greenlets may fetch at once, and the request's
// context, a kill and a gevent.WithTimeout end a parked request or body
// read at once. The connections themselves are net/http's, on its own
// goroutines. HTTPTransport states the contract.
//
// # How it works
//
// A value is bound to the hub of the ctx it was made with (the hub of the
// greenlet, of Run or of Hub.Context that ctx comes from). On
// Linux, Read does the read(2) itself inside syscall.RawConn's Read (which
// only pins the descriptor), so when data is there a read costs one syscall
// and no goroutine hand-off. On EAGAIN the greenlet parks on the hub's epoll
// poller (installed on the hub at the first socket operation that has to
// wait) and the hub runs others; when the hub has nothing to run it waits in
// epoll, and every ready descriptor wakes its parked greenlets in FIFO order.
// Write, Accept, ReadFrom, WriteTo and TCP connects to IP addresses work the
// same way. Host names are resolved off the hub, on a goroutine, while the
// greenlet parks. Connections without a file descriptor (net.Pipe, a
// tls.Conn given to WrapConn) and all connections on systems other than Linux
// are served off the hub: each call that has to wait runs on a goroutine
// while the greenlet parks (correct, but a goroutine hand-off per call).
//
// # Errors, deadlines and kills
//
// Errors are the standard library's: io.EOF itself at end of stream, and
// *net.OpError values wrapping net.ErrClosed (after Close, including a Close
// made while the call was parked, from any goroutine), os.ErrDeadlineExceeded
// (a deadline already past fails at once without parking; one reached while
// parked wakes the call; changing a deadline applies to a parked call; one
// past the year 2262, such as time.Now().Add(math.MaxInt64), never comes, as
// with the standard library) or a
// syscall error such as syscall.ECONNREFUSED. A greenlet killed while parked
// in Read, Write, Accept or Dial returns at once with the kill cause wrapped
// in a *net.OpError (errors.Is(err, gevent.ErrGreenletExit) holds), and the
// value stays usable by other greenlets. Dial also ends with ctx's cause when
// ctx is cancelled or a gevent.WithTimeout expires.
//
// A gevent.Timeout that a greenlet started (Timeout.Start, WithTimeout,
// WithTimeoutFunc) is a scope of that greenlet: until it is cancelled, its
// expiry also ends the greenlet's parked Read, Write, Accept, ReadFrom,
// WriteTo or Dial, although those take no ctx (gevent's `with Timeout(s):
// sock.recv(n)`). The error satisfies errors.Is(err, t) and errors.Is(err,
// os.ErrDeadlineExceeded), and is a net.Error whose Timeout() reports true;
// the connection stays usable, and the expiry is delivered
// once, so that cleanup after the timeout can still read and write. An
// outer Timeout passes through an inner scope unchanged.
//
// # Which goroutine may call what
//
// net.Conn's methods take no ctx, so a parked call parks the greenlet the
// bound hub is running. Hence the rule: a hub-bound value's Read, Write,
// Accept, ReadFrom and WriteTo are called from greenlets of that hub (when
// the hub runs no greenlet, for example after it stopped, they block the
// calling goroutine like the standard library's; inside a hub callback, on
// the hub's own goroutine, they do what needs no wait and panic when they
// would wait, as gevent raises BlockingSwitchOutError). Close, the Set*Deadline
// methods, LocalAddr, RemoteAddr and Addr are safe from any goroutine and any
// hub. Plain goroutines and other hubs should use values made without a hub
// (Dial with context.Background() returns the standard *net.TCPConn) or their
// own: WrapConn, WrapListener and WrapPacketConn with a context of another
// hub rebind a value to that hub (how a connection accepted on one hub of a
// group moves to another), and the old value is then left alone. A value
// used from another hub's greenlet acts on whatever greenlet its own hub is
// running: the race detector reports it, and it can hang or corrupt both
// hubs.
//
// # Memory model
//
// Within one hub, greenlets run one at a time, so data written by one
// greenlet before a switch point is seen by the greenlet that runs next. A
// Write that the peer's Read returns synchronizes before that Read returns,
// as with the standard library (the kernel orders them). A call to Close
// synchronizes before the return of any call it wakes with net.ErrClosed,
// and a Set*Deadline call before the return of a call it times out.
//
// # Differences from gevent
//
// There is no monkey-patching in Go: code that calls the net package directly
// (http.Get included) blocks the hub (the whole of it, not one greenlet)
// while it waits. Use this package's values and HTTPClient in greenlets, or
// run such code with gevent.Blocking.
// gevent refuses a second greenlet reading the same socket; here parked
// readers (or writers) of one value are all woken on readiness and retry,
// in FIFO order. Timeouts are deadlines and contexts, not per-socket
// settimeout values.
package socket
