#!/usr/bin/python3
"""pool_map: Pool(100).map of a function that returns its argument.

One op is one item of gevent.pool.Pool(100).map(identity, range(N)): the
pool spawns a greenlet per item, never more than 100 alive at once; each
returns its item; map returns the N results in input order. The Pool is
made inside the timed run, once per run. Reported: ns per item.
Go side, in pool/: BenchmarkPoolMap (pool.Map on a pool.Pool of 100),
BenchmarkPoolMapRawGo (a goroutine per item behind a semaphore channel of
100); the Go peers' in bench/peers (errgroup, conc, ants, pond).
"""

from gevent.pool import Pool

import harness

SIZE = 100


def identity(item):
    return item


def map_items(n):
    got = Pool(SIZE).map(identity, range(n))
    if len(got) != n or got[-1] != n - 1:
        raise AssertionError("Pool.map returned %d items" % len(got))


if __name__ == "__main__":
    harness.timing_rows(__doc__, 100_000, "items mapped", {"pool_map": map_items})
