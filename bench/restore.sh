#!/usr/bin/env bash
# Restore from the changelog (SPEC §10: ≥ 500,000 records/s): how fast an instance with
# an empty state directory rebuilds its state from the compacted changelog topic.
#
#   bench/restore.sh [--events N] [--customers N] [--guarantee at_least_once|exactly_once]
#                    [--build DIR] [--dir DIR] [--timeout-s S (default 600: the fill's and the restore's limit)]
#                    [--bootstrap HOST:PORT | --bootstrap-file FILE]
#
# Steps, each printed with its exact command:
#   1. start a single-node broker (ops/local/kafka.sh) in DIR/kafka, unless --bootstrap
#      (or a file holding it, as the ctest fixture writes) names a running one;
#   2. create the input topic (8 partitions) and produce N events of customers drawn
#      uniformly, without sessions (engaged_load's Zipf sessions would touch few
#      customers), so that the changelog holds about one record per customer seen:
#      C·(1 − e^(−N/C)), some 430,000 with the defaults;
#   3. fill: engaged (a fresh application_id) processes all N events, which writes
#      every customer's state to the changelog (<application_id>-changelog, created by
#      engaged), and stops (engaged_load measure: until the group committed all N);
#   4. restore: engaged of the same application_id with an EMPTY state directory
#      starts; it restores every partition from the changelog and becomes ready
#      (/readyz 200); then it is stopped.
# Reported from the restore's "partition restored" log lines (records, seconds): per
# partition, records/s (partitions are restored 8 at a time, so a partition's seconds
# are its group's); in all, the records of every partition over the wall time from
# the first restore's start (its line's ts minus its seconds) to the last one's end;
# and process start to ready, as the script saw it.
# Needs the targets engaged and engaged_load built in the --build directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
COMMAND="bench/restore.sh$(printf ' %q' "$@")"
readonly COMMAND
EVENTS=1000000
CUSTOMERS=500000
GUARANTEE=at_least_once
BUILD="$ROOT/build/rel"
DIR=""
BOOTSTRAP=""
TIMEOUT_S=600

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; }

while (($#)); do
  case $1 in
    --events) EVENTS=$2; shift 2 ;;
    --customers) CUSTOMERS=$2; shift 2 ;;
    --guarantee) GUARANTEE=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --timeout-s) TIMEOUT_S=$2; shift 2 ;;
    --bootstrap) BOOTSTRAP=$2; shift 2 ;;
    --bootstrap-file) BOOTSTRAP="$(<"$2")"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "restore.sh: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
  esac
done

# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
RESTORING_PID=""
bench_on_exit() {
  if [[ -n $RESTORING_PID ]]; then kill -KILL "$RESTORING_PID" 2>/dev/null || true; fi
}
bench_setup restore

RUN="restore-$(date +%s)-$$"
APP="$RUN.app"
IN="$RUN.in"
WORK="$DIR/$RUN"
mkdir -p "$WORK"
run "$ROOT/ops/local/kafka.sh" create-topics --bootstrap "$BOOTSTRAP" \
  "$IN:8" "$RUN.segment-changes:8" "$RUN.dead-letters:8" 2>&1 | sed 's/^/  /' >&2
bench_produce "$IN" --zipf-s 0 --sessions 0

PORT="$(free_port)"
write_config() {  # NAME: WORK/NAME.yaml with its own state dir
  bench_engaged_config "$APP" "$WORK/state-$1" "$1" "$PORT" >"$WORK/$1.yaml"
}
write_config fill
write_config restore

FILL="$(run "$LOAD" measure --bootstrap "$BOOTSTRAP" --label fill --group "$APP" --input "$IN" --timeout-s "$TIMEOUT_S" \
  --log "$WORK/fill.log" -- "$ENGAGED" run --config "$WORK/fill.yaml")" || true
echo "  $FILL" >&2
bench_require_ok fill "$FILL" "$WORK/fill.log"

# The restore: start, wait for /readyz, stop.
echo "\$ $ENGAGED run --config $WORK/restore.yaml  # empty state dir; until /readyz answers 200" >&2
STARTED_NS="$(date +%s%N)"
"$ENGAGED" run --config "$WORK/restore.yaml" >"$WORK/restore.log" 2>&1 &
RESTORING_PID=$!
until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz" || true) == 200 ]]; do
  if ! kill -0 "$RESTORING_PID" 2>/dev/null; then
    echo "restore.sh: engaged exited while restoring (log: $WORK/restore.log)" >&2
    bench_show_problems "$WORK/restore.log"
    exit 1
  fi
  if (($(date +%s%N) - STARTED_NS > TIMEOUT_S * 1000000000)); then
    echo "restore.sh: not ready after $TIMEOUT_S s (log: $WORK/restore.log)" >&2
    bench_show_problems "$WORK/restore.log"
    exit 1
  fi
  sleep 0.05
done
READY_S="$(awk -v ns="$(($(date +%s%N) - STARTED_NS))" 'BEGIN { printf "%.2f", ns / 1e9 }')"
kill -TERM "$RESTORING_PID"
if ! wait "$RESTORING_PID"; then
  echo "restore.sh: the restoring instance did not exit 0 (log: $WORK/restore.log)" >&2
  bench_show_problems "$WORK/restore.log"
  exit 1
fi
RESTORING_PID=""

echo
echo "## Restore from the changelog, $(date -u +%Y-%m-%d), $EVENTS events, $CUSTOMERS customers, 8 partitions, $GUARANTEE, $(nproc) vCPUs shared with the broker"
echo
python3 - "$WORK/restore.log" "$READY_S" <<'EOF'
import datetime, json, sys

lines = []
for text in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        line = json.loads(text)
    except ValueError:
        continue
    if line.get("msg") == "partition restored":
        lines.append(line)
if not lines:
    sys.exit("restore.sh: no 'partition restored' line in " + sys.argv[1])

def end_of(line):
    return datetime.datetime.strptime(line["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()

print("| partition | records | seconds | records/s |")
print("|---|---|---|---|")
for line in sorted(lines, key=lambda l: str(l.get("partition", ""))):
    rate = line["records"] / max(line["seconds"], 1e-3)
    print(f"| {line.get('partition', '?')} | {line['records']} | {line['seconds']:.3f} | {rate:.0f} |")
records = sum(l["records"] for l in lines)
first_start = min(end_of(l) - l["seconds"] for l in lines)
last_end = max(end_of(l) for l in lines)
wall = max(last_end - first_start, 1e-3)
print()
print(f"all partitions: {records} records in {wall:.3f} s from the first restore's start to the last one's end: "
      f"**{records / wall:.0f} records/s** (target ≥ 500,000)")
print(f"process start to /readyz 200: {sys.argv[2]} s")
EOF
echo "reproduce: $COMMAND"
echo "raw results, configs and logs: $WORK"
