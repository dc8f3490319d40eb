#!/usr/bin/python3
"""echo_server: a StreamServer echoing 64-byte requests to in-process clients.

One process, one thread, one hub. A gevent.server.StreamServer on
127.0.0.1 (a port the kernel picks) runs a greenlet per connection that
echoes what it receives (recv(65536), then sendall). --clients greenlets
(50) in the same process hold a connection each and loop: sendall a 64-byte
request, then recv until the 64 bytes are back. TCP_NODELAY is on at both
ends, as Go's net package sets it. One op is one request answered: the
client's send, the server's receive and send, the client's receive, all on
one core. After --warmup seconds (0.5) of load, answered requests are
counted for --duration seconds (5) or until --n of them, whichever comes
first. Reported: requests per second (higher is better); n is the number
counted. Only loopback; every socket is closed before the script ends.
Go side, in server/: BenchmarkEchoServerStream (server.StreamServer and
client greenlets, one hub), BenchmarkEchoServerStreamRawGo (a goroutine per
connection at both ends, net), both at GOMAXPROCS=1.
"""

import socket as stdsocket
import time

import gevent
from gevent import socket
from gevent.server import StreamServer

import harness

REQUEST = b"x" * 64


def nodelay(conn):
    conn.setsockopt(stdsocket.IPPROTO_TCP, stdsocket.TCP_NODELAY, 1)


def echo(conn, _peer):
    nodelay(conn)
    recv, sendall = conn.recv, conn.sendall
    data = recv(65536)
    while data:
        sendall(data)
        data = recv(65536)


class Tally(object):
    """The answered requests; the clients stop once the window is closed.

    Every client runs on the one hub, so the fields need no lock.
    """

    def __init__(self):
        self.answered = 0
        self.cap = None        # stop counting at this total (the window's --n)
        self.capped_at = None  # perf_counter() when the total reached cap
        self.closed = False

    def add(self):
        self.answered += 1
        if self.cap is not None and self.answered >= self.cap and not self.closed:
            self.closed = True
            self.capped_at = time.perf_counter()


def client(port, tally):
    conn = socket.create_connection(("127.0.0.1", port))
    try:
        nodelay(conn)
        sendall, recv = conn.sendall, conn.recv
        want = len(REQUEST)
        while not tally.closed:
            sendall(REQUEST)
            got = 0
            while got < want:
                chunk = recv(want - got)
                if not chunk:
                    raise EOFError("the server closed the connection")
                got += len(chunk)
            tally.add()
    finally:
        conn.close()


def load_options(parser):
    parser.add_argument("--clients", type=int, default=50,
                        help="client connections, a greenlet each (default 50)")
    parser.add_argument("--duration", type=float, default=5.0, metavar="SECONDS",
                        help="the counting window (default 5)")
    parser.add_argument("--warmup", type=float, default=0.5, metavar="SECONDS",
                        help="load before the window opens (default 0.5)")


def measure(args):
    """Run the load; return (requests counted, seconds they took)."""
    server = StreamServer(("127.0.0.1", 0), echo)
    server.start()
    tally = Tally()
    clients = [gevent.spawn(client, server.server_port, tally) for _ in range(args.clients)]
    gevent.sleep(args.warmup)

    first, opened = tally.answered, time.perf_counter()
    tally.cap = first + args.n
    deadline = opened + args.duration
    while not tally.closed:
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        gevent.sleep(min(left, 0.05))
    if tally.capped_at is not None:
        counted, seconds = args.n, tally.capped_at - opened
    else:
        counted, seconds = tally.answered - first, time.perf_counter() - opened
    tally.closed = True

    gevent.joinall(clients, timeout=5)
    server.stop(timeout=1)
    broken = [g for g in clients if not g.successful()]
    if broken:
        harness.note("echo_server: %d of %d clients failed; the first: %r"
                     % (len(broken), len(clients), broken[0].exception))
        raise SystemExit(1)
    return counted, seconds


if __name__ == "__main__":
    args = harness.options(__doc__, 10_000_000, "the most requests counted in the window",
                           extra=load_options)
    counted, seconds = measure(args)
    harness.result("echo_server", "req/s", counted / seconds, counted)
