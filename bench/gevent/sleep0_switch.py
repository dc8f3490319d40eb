#!/usr/bin/python3
"""sleep0_switch: two greenlets taking turns through the hub with sleep(0).

Two greenlets each call gevent.sleep(0) N/2 times while the main greenlet
waits for both in gevent.joinall. One op is one sleep(0): the caller queues
its own resumption on the hub and switches to it, and the hub resumes the
other greenlet (greenlet -> hub -> greenlet, two switches per op). N is
rounded down to an even number. Reported: ns per sleep(0).
Go side: BenchmarkSleep0Switch (two greenlets calling Yield),
BenchmarkSleep0SwitchRawGosched (two goroutines calling runtime.Gosched).
"""

import gevent

import harness


def turns(count):
    sleep = gevent.sleep
    for _ in range(count):
        sleep(0)


def two_greenlets(n):
    each = max(n // 2, 1)
    gevent.joinall([gevent.spawn(turns, each), gevent.spawn(turns, each)])


if __name__ == "__main__":
    args = harness.options(__doc__, 200_000, "sleep(0) calls in all, half by each greenlet")
    n = max(args.n // 2 * 2, 2)
    harness.result("sleep0_switch", "ns/op", harness.ns_per_op(two_greenlets, n), n)
