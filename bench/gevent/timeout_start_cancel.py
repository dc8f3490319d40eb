#!/usr/bin/python3
"""timeout_start_cancel, timeout_with_block: arming and disarming a Timeout.

Every Timeout here is of 60 seconds and is cancelled at once: none expires.
  timeout_start_cancel  one op: t.start(); t.cancel() on one Timeout made
                        before the loop and reused: arming and disarming its
                        timer (the loop's timer heap; start also updates the
                        loop's clock)
  timeout_with_block    one op: `with gevent.Timeout(60): pass`: a new
                        Timeout and its timer made, started, cancelled and
                        closed, the usual way to write a timeout
`--only ROW` emits one of them. Reported: ns per op.
Go side, in bench_test.go: BenchmarkTimeoutStartCancel (Start + Cancel of
one gevent.Timeout), BenchmarkTimeoutStartCancelRawTimer (time.Timer Reset +
Stop); BenchmarkTimeoutWithBlock (NewTimeout + Start + Cancel),
BenchmarkTimeoutWithBlockRawAfterFunc (time.AfterFunc + Stop).
"""

import gevent

import harness

SECONDS = 60


def reused(n):
    t = gevent.Timeout(SECONDS)
    start, cancel = t.start, t.cancel
    for _ in range(n):
        start()
        cancel()
    t.close()


def with_block(n):
    Timeout = gevent.Timeout
    for _ in range(n):
        with Timeout(SECONDS):
            pass


if __name__ == "__main__":
    harness.timing_rows(__doc__, 500_000, "timeouts started and cancelled", {
        "timeout_start_cancel": reused,
        "timeout_with_block": with_block,
    })
