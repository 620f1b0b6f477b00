#!/usr/bin/env bash
# engaged replay --format cdnow over the real CDNOW master log (23,570 customers):
# fit the model on the calibration period, replay the whole log with churn risk on,
# and check that the customers flagged high at the end of calibration bought markedly
# less in the holdout period than those flagged low (bench/cdnow_holdout.py --check).
# Usage: cdnow_churn_test.sh ENGAGED_BINARY SOURCE_DIR
set -euo pipefail
engaged="$1"
src="$2"
data="$src/../shared/data/cdnow/CDNOW_master.txt"
[[ -f "$data" ]] || { echo "missing $data" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$engaged" fit --input "$data" --format cdnow --calibration-end 1997-09-30 --time-unit weeks \
  >"$work/model.json"
ENGAGED_CHURN_MODEL="$work/model.json" "$engaged" replay --config "$src/examples/cdnow.yaml" \
  --format cdnow --input "$data" --out "$work/out" 2>"$work/replay.log" ||
  { cat "$work/replay.log" >&2; exit 1; }
grep -q '"churn_events":[1-9]' "$work/out/summary.json" ||
  { echo "no churn events: $(cat "$work/out/summary.json")" >&2; exit 1; }
python3 "$src/bench/cdnow_holdout.py" --events "$work/out/churn-risk.ndjson" \
  --transactions "$data" --calibration-end 1997-09-30 --check
