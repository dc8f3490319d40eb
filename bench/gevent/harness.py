"""Plumbing shared by the gevent side of gevent-go's benchmark report.

This module is not a benchmark. Every script beside it imports it; Python puts
a script's own folder first on sys.path, so the scripts run from any working
directory as `/usr/bin/python3 bench/gevent/NAME.py`.

The contract with cmd/geventbench, which runs these scripts:

* stdout carries nothing but result lines, one JSON object each:
  {"bench": NAME, "unit": UNIT, "value": FIGURE, "n": OPS, "impl": "gevent-X.Y.Z"};
  anything for people goes to stderr;
* `--n` sets the number of ops in the timed run, `--only NAME` picks one
  row of a script that measures two.

A timing row warms up with one untimed run of N/10 ops (at least 1, at most
10,000), collects garbage, then times one run of N ops with
time.perf_counter_ns(). The cyclic collector stays enabled during the timed
run, as it is in a real program. The Go benchmarks do the same
(internal/benchbatch), so both sides pay for the same work.
"""

import argparse
import gc
import json
import sys
import time

import gevent

IMPL = "gevent-" + gevent.__version__

# The warm-up run is a tenth of the timed run, capped: enough to start the
# hub, fill the interpreter's caches and allocate the first pools.
WARMUP_CAP = 10_000


def warmup_ops(n):
    """How many ops the untimed warm-up run of an N-op row makes."""
    return min(max(n // 10, 1), WARMUP_CAP)


def options(doc, default_n, n_means, rows=(), extra=None):
    """Parse the command line of a script.

    doc is the script's docstring (its first line is the help text), n_means
    says what --n counts, rows names the rows a script can emit (two or more
    add --only), extra(parser) adds a script's own options.
    """
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--n", type=int, default=default_n, metavar="N",
                        help="%s (default %d)" % (n_means, default_n))
    if len(rows) > 1:
        parser.add_argument("--only", choices=list(rows), metavar="ROW",
                            help="emit only this row: " + ", ".join(rows))
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    if args.n < 1:
        parser.error("--n must be at least 1")
    if len(rows) <= 1:
        args.only = None
    return args


def result(bench, unit, value, n):
    """Write one result line to stdout."""
    line = json.dumps({"bench": bench, "unit": unit, "value": round(float(value), 1),
                       "n": int(n), "impl": IMPL})
    print(line, flush=True)


def ns_per_op(run, n):
    """Time run(n) after the warm-up; return nanoseconds per op."""
    run(warmup_ops(n))
    gc.collect()
    start = time.perf_counter_ns()
    run(n)
    return (time.perf_counter_ns() - start) / n


def timing_rows(doc, default_n, n_means, rows):
    """The main function of a script whose rows are all ns/op timings.

    rows maps each row's name to run(n), which makes n ops.
    """
    args = options(doc, default_n, n_means, tuple(rows))
    for name, run in rows.items():
        if args.only in (None, name):
            result(name, "ns/op", ns_per_op(run, args.n), args.n)


def vmrss():
    """This process's resident set size in bytes (VmRSS of /proc/self/status)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                kib = line.split()[1]
                return int(kib) * 1024
    raise RuntimeError("no VmRSS line in /proc/self/status")


def note(*words):
    """Tell the person running the script something (stderr)."""
    print(*words, file=sys.stderr, flush=True)
