#!/usr/bin/python3
"""queue_pingpong, channel_pingpong: an item bounced between two greenlets.

ping repeats N times: there.put(i); back.get()
pong repeats N times: back.put(there.get())
One op is one round trip of an item, ping -> pong -> ping. The two rows
differ only in the queues (both new in each run):
  queue_pingpong    gevent.queue.Queue(maxsize=1): one slot, so a put
                    finds room and only the gets wait
  channel_pingpong  gevent.queue.Channel(): no slot, a put waits until a
                    getter takes the item
`--only ROW` emits one of them. Reported: ns per round trip.
Go side, in queue/: BenchmarkQueuePingpong and BenchmarkChannelPingpong
(queue.Queue with capacity 1, queue.Channel); BenchmarkQueuePingpongRawChan
(channel of capacity 1) and BenchmarkChannelPingpongRawChan (unbuffered).
"""

import gevent
from gevent.queue import Channel, Queue

import harness


def ping(rounds, there, back):
    put, get = there.put, back.get
    for i in range(rounds):
        put(i)
        get()


def pong(rounds, there, back):
    put, get = back.put, there.get
    for _ in range(rounds):
        put(get())


def bouncing(new_queue):
    def round_trips(n):
        there, back = new_queue(), new_queue()
        gevent.joinall([gevent.spawn(pong, n, there, back),
                        gevent.spawn(ping, n, there, back)])
    return round_trips


if __name__ == "__main__":
    harness.timing_rows(__doc__, 100_000, "round trips", {
        "queue_pingpong": bouncing(lambda: Queue(maxsize=1)),
        "channel_pingpong": bouncing(Channel),
    })
