#!/usr/bin/env python3
"""The broker's log-cleaner runs that started inside each latency phase.

    cleaner_runs.py BROKER_LOG LABEL:START_MS:SECONDS ...

BROKER_LOG is the broker.log of an ops/local/kafka.sh broker, whose log4j config logs
the cleaner's "Beginning cleaning of log NAME" lines. Each phase is a label, its start
(milliseconds since the epoch) and its length. One line per phase on stdout, e.g.

    - engaged: 8 runs, at 21.3-28.7 s of 35 s (RUN.engaged-changelog: 8 partitions)

On a machine shared with the broker, a cleaner run costs the broker up to a vCPU for
seconds (more on a fresh broker, whose JIT compiles the cleaner then), which a latency
phase sees as a tail it did not cause (docs/benchmarks.md).
"""
import datetime
import re
import sys

BEGIN = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\] INFO Cleaner \d+: "
                   r"Beginning cleaning of log (\S+)")


def runs(path):
    """(seconds since the epoch, log name) of every cleaner run in the broker log."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = BEGIN.match(line)
            if m:
                # The broker logs in the machine's local time, as this reads it.
                t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                out.append((t, m.group(2)))
    return out


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    all_runs = runs(argv[1])
    for phase in argv[2:]:
        try:
            label, start_ms, seconds = phase.rsplit(":", 2)
            start, length = int(start_ms) / 1000.0, float(seconds)
        except ValueError:
            sys.exit(f"cleaner_runs.py: bad phase '{phase}' (want LABEL:START_MS:SECONDS)")
        inside = [(t - start, name) for t, name in all_runs if 0 <= t - start < length]
        if not inside:
            print(f"- {label}: none in {length:g} s")
            continue
        topics = {}
        for _, name in inside:  # a log is TOPIC-PARTITION
            topics.setdefault(name.rsplit("-", 1)[0], set()).add(name)
        shown = ", ".join(f"{t}: {len(p)} partition{'s' if len(p) > 1 else ''}"
                          for t, p in sorted(topics.items()))
        print(f"- {label}: {len(inside)} run{'s' if len(inside) > 1 else ''}, at "
              f"{inside[0][0]:.1f}-{inside[-1][0]:.1f} s of {length:g} s ({shown})")


if __name__ == "__main__":
    main(sys.argv)
