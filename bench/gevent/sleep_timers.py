#!/usr/bin/python3
"""sleep_timers: N greenlets, each sleeping its own short time, then joined.

Greenlet k sleeps spread * (p(k) + 1) / N, p being a permutation of
0..N-1 shuffled with seed 1: all N durations differ, none is zero, the
longest is spread (1 ms unless --spread-ms says otherwise), and the timers
are armed out of deadline order so the loop's timer heap does real work.
One op: spawning one greenlet, which arms a timer and parks; the timer
firing and the greenlet resuming and ending; its share of one
gevent.joinall over all N. The durations are computed before the clock
starts; the clock also runs while the hub waits for the last deadline, at
most `spread` after the last timer was armed (10 ns per op at the defaults).
Reported: ns per greenlet.
Go side, in bench_test.go: BenchmarkSleepTimers (a greenlet per op in
gevent.Sleep), BenchmarkSleepTimersRawGo (a goroutine per op in time.Sleep).
"""

import random

import gevent

import harness


def durations(n, spread):
    """The n sleeps of a run, in seconds: distinct, in shuffled order."""
    p = list(range(n))
    random.Random(1).shuffle(p)
    return [spread * (k + 1) / n for k in p]


def sleepers(spread, sizes):
    planned = {n: durations(n, spread) for n in sizes}

    def run(n):
        spawn, sleep = gevent.spawn, gevent.sleep
        batch = [spawn(sleep, d) for d in planned[n]]
        gevent.joinall(batch)
    return run


def spread_option(parser):
    parser.add_argument("--spread-ms", type=float, default=1.0, metavar="MS",
                        help="the longest sleep, in milliseconds (default 1)")


if __name__ == "__main__":
    args = harness.options(__doc__, 100_000, "sleeping greenlets", extra=spread_option)
    run = sleepers(args.spread_ms / 1000, {args.n, harness.warmup_ops(args.n)})
    harness.result("sleep_timers", "ns/op", harness.ns_per_op(run, args.n), args.n)
