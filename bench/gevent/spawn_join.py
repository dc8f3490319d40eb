#!/usr/bin/python3
"""spawn_join: spawn N greenlets that return at once, then join them all.

One op: one gevent.spawn of a function that does nothing, that greenlet
starting, running and ending, and its share of the one gevent.joinall that
waits for all N. All N are spawned before the join, so up to N greenlets
exist at once. Reported: ns per greenlet.
Go side: BenchmarkSpawnJoin (Spawn + JoinAll), BenchmarkSpawnJoinRawGo
(`go` + sync.WaitGroup), in bench_test.go.
"""

import gevent

import harness


def nothing():
    pass


def spawn_then_join(n):
    spawn = gevent.spawn
    batch = [spawn(nothing) for _ in range(n)]
    gevent.joinall(batch)


if __name__ == "__main__":
    harness.timing_rows(__doc__, 100_000, "greenlets spawned, then joined",
                        {"spawn_join": spawn_then_join})
