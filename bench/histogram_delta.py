#!/usr/bin/env python3
"""Quantiles of a Prometheus histogram between two scrapes of /metrics.

  histogram_delta.py BEFORE AFTER METRIC [Q ...]

Prints "count=N mean_ms=M p50_ms<=X p99_ms<=Y ...": each quantile is the upper bound
of the bucket it falls in (a histogram knows no more), from the difference of the two
scrapes, so only what happened between them counts. Used by bench/e2e.sh."""
import re
import sys


def buckets(path, metric):
    out, total, count = {}, 0.0, 0.0
    pattern = re.compile(r'^%s_(bucket|sum|count)(\{[^}]*\})? (\S+)$' % re.escape(metric))
    with open(path) as f:
        for line in f:
            m = pattern.match(line.strip())
            if not m:
                continue
            kind, labels, value = m.group(1), m.group(2) or "", float(m.group(3))
            if kind == "bucket":
                le = re.search(r'le="([^"]+)"', labels).group(1)
                out[float("inf") if le == "+Inf" else float(le)] = value
            elif kind == "sum":
                total = value
            else:
                count = value
    return out, total, count


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    before, after, metric = sys.argv[1:4]
    qs = [float(q) for q in sys.argv[4:]] or [0.5, 0.99, 0.999]
    b0, s0, c0 = buckets(before, metric)
    b1, s1, c1 = buckets(after, metric)
    n = c1 - c0
    if n <= 0:
        print("count=0")
        return
    fields = ["count=%d" % n, "mean_ms=%.1f" % (1000 * (s1 - s0) / n)]
    for q in qs:
        for le in sorted(b1):
            if b1[le] - b0.get(le, 0) >= q * n:
                bound = "inf" if le == float("inf") else "%g" % (1000 * le)
                fields.append("p%s_ms<=%s" % (("%g" % (100 * q)).replace(".", ""), bound))
                break
    print(" ".join(fields))


if __name__ == "__main__":
    main()
