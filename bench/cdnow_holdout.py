#!/usr/bin/env python3
"""Churn bands against what CDNOW customers really did next.

Reads the churn-risk events of `engaged replay --format cdnow` over CDNOW_master.txt
and the log itself, takes each customer's band at the end of the calibration period
(the last band change at or before the midnight that ends it; customers without one
are low, the band every customer starts in silently), and tabulates the purchases of
each band in the holdout period that follows.

  python3 bench/cdnow_holdout.py --events OUT/churn-risk.ndjson \
      --transactions CDNOW_master.txt --calibration-end 1997-09-30 [--check]

--check exits 1 unless every band has customers and the high band's mean holdout
transactions are below half the low band's (the issue's "markedly less").
Standard library only.
"""

import argparse
import collections
import datetime
import json
import sys


def day_of(text):
    return datetime.date(int(text[0:4]), int(text[4:6]), int(text[6:8]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", required=True)
    ap.add_argument("--transactions", required=True)
    ap.add_argument("--calibration-end", required=True)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()

    end = datetime.date.fromisoformat(args.calibration_end)
    cutoff = (end + datetime.timedelta(days=1)).isoformat() + "T00:00:00.000Z"

    first_day = {}
    holdout_days = collections.defaultdict(set)
    last_day = end
    with open(args.transactions) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 4 or not fields[0].isdigit():
                continue
            cid, day = fields[-4].lstrip("0") or "0", day_of(fields[-3])
            first_day[cid] = min(first_day.get(cid, day), day)
            last_day = max(last_day, day)
            if day > end:
                holdout_days[cid].add(day)

    band_at_end = {}
    events_by_band = collections.Counter()
    final_band = {}
    with open(args.events) as f:
        for line in f:
            e = json.loads(line)
            events_by_band[e["band"]] += 1
            final_band[e["customer_id"]] = e["band"]
            if e["changed_at"] <= cutoff:
                band_at_end[e["customer_id"]] = e["band"]

    cohort = [c for c, d in first_day.items() if d <= end]
    rows = collections.OrderedDict((b, []) for b in ("low", "medium", "high"))
    for cid in cohort:
        rows[band_at_end.get(cid, "low")].append(len(holdout_days.get(cid, ())))

    weeks = (last_day - end).days / 7
    print(f"customers {len(cohort)}, calibration to {end}, holdout {end + datetime.timedelta(days=1)}"
          f" to {last_day} ({weeks:.1f} weeks)")
    print("churn-risk events by band entered: " +
          ", ".join(f"{b} {events_by_band[b]}" for b in rows))
    ends = collections.Counter(final_band.get(c, "low") for c in cohort)
    print("band at the end of the data: " + ", ".join(f"{b} {ends[b]}" for b in rows))
    print()
    print("| band at calibration end | customers | share | holdout transactions per customer | bought again |")
    print("|---|---|---|---|---|")
    means = {}
    for band, counts in rows.items():
        n = len(counts)
        means[band] = sum(counts) / n if n else float("nan")
        again = sum(1 for c in counts if c > 0) / n if n else float("nan")
        print(f"| {band} | {n} | {n / len(cohort):.1%} | {means[band]:.3f} | {again:.1%} |")

    if args.check:
        problems = [f"band {b} is empty" for b, c in rows.items() if not c]
        if not problems and not means["high"] < 0.5 * means["low"]:
            problems.append(f"high {means['high']:.3f} is not below half of low {means['low']:.3f}")
        for p in problems:
            print("CHECK FAILED: " + p, file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
