#!/usr/bin/python3
"""event_pingpong: a round trip between two greenlets over two Events.

ping repeats N times: a.set(); b.wait(); b.clear()
pong repeats N times: a.wait(); a.clear(); b.set()
One op is one round trip: ping wakes pong, pong wakes ping. Each wake-up
goes through the hub (Event.set notifies its waiters from a hub callback),
so a round trip is at least four greenlet switches. Both Events are new in
each run. Reported: ns per round trip.
Go side: BenchmarkEventPingpong (event.Event Set/Wait/Clear),
BenchmarkEventPingpongRawChan (unbuffered channel round trip), in event/.
"""

import gevent
from gevent.event import Event

import harness


def ping(rounds, a, b):
    for _ in range(rounds):
        a.set()
        b.wait()
        b.clear()


def pong(rounds, a, b):
    for _ in range(rounds):
        a.wait()
        a.clear()
        b.set()


def round_trips(n):
    a, b = Event(), Event()
    gevent.joinall([gevent.spawn(pong, n, a, b), gevent.spawn(ping, n, a, b)])


if __name__ == "__main__":
    harness.timing_rows(__doc__, 100_000, "round trips",
                        {"event_pingpong": round_trips})
