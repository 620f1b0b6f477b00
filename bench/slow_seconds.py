#!/usr/bin/env python3
"""The seconds of a latency phase whose p99 is above a bound.

    slow_seconds.py SAMPLES_CSV [BOUND_MS]

SAMPLES_CSV is a samples file of `engaged_load measure --samples` (columns seconds,
latency_ms; seconds since the phase started, warm-up included). Prints, on one line,
the whole seconds whose p99 is above BOUND_MS (default 100, SPEC's latency target), as
ranges, and how many seconds have samples, e.g.

    21-23, 28 (4 of the 36 seconds with samples)

A p99 over the whole phase is decided by its worst 1 %: these are the seconds that
made it, to set beside what else happened then (bench/cleaner_runs.py).
"""
import csv
import math
import sys


def p99(values):
    """Nearest rank, as engaged_load's Quantile."""
    values = sorted(values)
    rank = math.ceil(0.99 * len(values))
    return values[min(len(values) - 1, max(rank - 1, 0))]


def ranges(seconds):
    out = []
    for s in seconds:
        if out and s == out[-1][1] + 1:
            out[-1][1] = s
        else:
            out.append([s, s])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in out)


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    try:
        bound = float(argv[2]) if len(argv) == 3 else 100.0
    except ValueError:
        sys.exit(f"slow_seconds.py: bad bound '{argv[2]}' (milliseconds)")
    per_second = {}
    with open(argv[1], encoding="utf-8") as f:
        for row in csv.DictReader(f):
            try:
                second, latency = int(float(row["seconds"])), float(row["latency_ms"])
            except (KeyError, TypeError, ValueError):
                sys.exit(f"slow_seconds.py: {argv[1]}: not a samples file "
                         "(want seconds,latency_ms)")
            per_second.setdefault(second, []).append(latency)
    if not per_second:
        print("no samples")
        return
    slow = sorted(s for s, v in per_second.items() if p99(v) > bound)
    shown = ranges(slow) if slow else "none"
    print(f"{shown} ({len(slow)} of the {len(per_second)} seconds with samples)")


if __name__ == "__main__":
    main(sys.argv)
