#!/usr/bin/python3
"""memory_parked: resident memory per greenlet parked on one Event.

The process reads its VmRSS (/proc/self/status), spawns N greenlets that
each wait on the same gevent.event.Event, lets the hub run until every one
has started and parked, collects garbage, and reads VmRSS again. Reported:
(VmRSS after - VmRSS before) / N, in bytes per greenlet: the Greenlet, its
Python frame, the slice of C stack greenlet saves when it switches away,
the Event's record of the waiter, and the list slot that holds it.
The hub and the Event have been used by ten greenlets before the first
reading, so their own memory is not counted. Measure once per fresh
process: memory freed by earlier work would be reused and hide the growth.
Go side, in event/: BenchmarkMemoryParked (greenlets in event.Event.Wait),
BenchmarkMemoryParkedRawGo (goroutines receiving from one channel).
"""

import gc

import gevent
from gevent.event import Event

import harness


def park(event, parking):
    """The body of a parked greenlet: one short call into Event.wait."""
    parking.started += 1
    event.wait()


class Parking(object):
    """Greenlets that wait on one Event, and how many of them have started."""

    def __init__(self):
        self.event = Event()
        self.started = 0

    def spawn(self, n):
        self.started = 0
        batch = [gevent.spawn(park, self.event, self) for _ in range(n)]
        while self.started < n:  # the hub starts them while we sleep
            gevent.sleep(0)
        return batch

    def release(self, batch):
        self.event.set()
        gevent.joinall(batch)
        self.event.clear()


if __name__ == "__main__":
    args = harness.options(__doc__, 100_000, "parked greenlets")
    parking = Parking()
    parking.release(parking.spawn(10))  # bring the hub and the Event up

    gc.collect()
    before = harness.vmrss()
    batch = parking.spawn(args.n)
    gc.collect()
    after = harness.vmrss()
    harness.note("memory_parked: VmRSS %d -> %d bytes with %d parked greenlets"
                 % (before, after, args.n))
    parking.release(batch)
    harness.result("memory_parked", "bytes/greenlet", (after - before) / args.n, args.n)
