#!/usr/bin/env bash
# Scale-out: the throughput of 1 and of 2 engaged instances of one application on one
# input topic of 8 partitions, on one local Kafka broker (SPEC §7, scale-out).
#
#   bench/scaleout.sh [--events N] [--customers N] [--guarantee at_least_once|exactly_once]
#                     [--commit-interval-ms MS (default: engaged's)] [--build DIR] [--dir DIR]
#                     [--timeout-s S (default 600: each run's limit)]
#                     [--bootstrap HOST:PORT | --bootstrap-file FILE]
#
# Steps, each printed with its exact command:
#   1. start a single-node broker (ops/local/kafka.sh) in DIR/kafka, unless --bootstrap
#      (or a file holding it, as the ctest fixture writes) names a running one;
#   2. create the run's topics (8 partitions) and produce N events once;
#   3. one instance (a fresh application_id, so a fresh consumer group): engaged_load
#      measure starts it and watches the group's committed offsets until all N are
#      committed;
#   4. two instances started together (own state dirs, instance ids and HTTP ports; a
#      fresh application_id), measured the same way over the same N events.
# Two rates per run, from the group's committed offsets: "sustained", engaged_load's
# (from the group's first commit to the last: start-up and the first group join left
# out), and "from start" (N over process start to the last commit: start-up, group
# joins and rebalances included). With two instances the first commit may come late
# (the group settles first) and the sustained window then misses part of the work:
# trust "from start" for the ratio unless N is large.
# Both instances run on this machine, beside the broker: with few cores they compete
# for them, and the ratio says how much a second instance gains here, not on a cluster.
# Needs the targets engaged and engaged_load built in the --build directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT

# `scaleout.sh --pair ENGAGED CONFIG...`: the instances as one process, for engaged_load
# measure, which stops its processor with SIGTERM: forwarded to every instance. Exits
# when one instance exits (stopping the others), with the largest exit code.
if [[ ${1:-} == --pair ]]; then
  ENGAGED=$2
  shift 2
  pids=()
  for config in "$@"; do
    "$ENGAGED" run --config "$config" &
    pids+=("$!")
  done
  trap 'kill -TERM "${pids[@]}" 2>/dev/null || true' TERM INT
  wait -n "${pids[@]}" || true
  kill -TERM "${pids[@]}" 2>/dev/null || true
  worst=0
  for pid in "${pids[@]}"; do
    rc=0
    wait "$pid" || rc=$?
    if ((rc > worst)); then worst=$rc; fi
  done
  exit "$worst"
fi

EVENTS=2000000
CUSTOMERS=200000
GUARANTEE=at_least_once
COMMIT_INTERVAL_MS=""  # engaged's default: 1000 ms, 100 ms under exactly_once
BUILD="$ROOT/build/rel"
TIMEOUT_S=600
DIR=""
BOOTSTRAP=""
COMMAND="bench/scaleout.sh$(printf ' %q' "$@")"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; }

while (($#)); do
  case $1 in
    --events) EVENTS=$2; shift 2 ;;
    --customers) CUSTOMERS=$2; shift 2 ;;
    --guarantee) GUARANTEE=$2; shift 2 ;;
    --commit-interval-ms) COMMIT_INTERVAL_MS=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --timeout-s) TIMEOUT_S=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --bootstrap) BOOTSTRAP=$2; shift 2 ;;
    --bootstrap-file) BOOTSTRAP="$(<"$2")"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "scaleout.sh: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
  esac
done

# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup scaleout

RUN="scaleout-$(date +%s)-$$"
IN="$RUN.in"
WORK="$DIR/$RUN"
mkdir -p "$WORK"
run "$ROOT/ops/local/kafka.sh" create-topics --bootstrap "$BOOTSTRAP" \
  "$IN:8" "$RUN.segment-changes:8" "$RUN.dead-letters:8" 2>&1 | sed 's/^/  /' >&2
bench_produce "$IN"

write_config() {  # APPLICATION INSTANCE: WORK/APPLICATION-INSTANCE.yaml
  bench_engaged_config "$RUN.$1" "$WORK/state-$1-$2" "$2" "$(free_port)" >"$WORK/$1-$2.yaml"
}

measure() {  # APPLICATION -- COMMAND...
  local app=$1
  shift 2
  run "$LOAD" measure --bootstrap "$BOOTSTRAP" --label "$app" --group "$RUN.$app" \
    --input "$IN" --timeout-s "$TIMEOUT_S" --log "$WORK/$app.log" -- "$@" | tee -a "$WORK/results.txt"
}

write_config one a
write_config two a
write_config two b
echo "machine: $(nproc) vCPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), load average $(cut -d' ' -f1-3 /proc/loadavg) at start" >&2
ONE="$(measure one -- "$ENGAGED" run --config "$WORK/one-a.yaml")" || true
TWO="$(measure two -- "${BASH_SOURCE[0]}" --pair "$ENGAGED" "$WORK/two-a.yaml" "$WORK/two-b.yaml")" || true
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at end" >&2
bench_require_ok one "$ONE" "$WORK/one.log"
bench_require_ok two "$TWO" "$WORK/two.log"

rate_from_start() { awk -v n="$(field "$1" events)" -v s="$(field "$1" total_s)" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
ONE_START="$(rate_from_start "$ONE")"
TWO_START="$(rate_from_start "$TWO")"
echo
echo "## Scale-out, $(date -u +%Y-%m-%d), $EVENTS events, $CUSTOMERS customers, 8 partitions, $GUARANTEE, commit_interval_ms ${COMMIT_INTERVAL_MS:-default}, $(nproc) vCPUs shared with the broker"
echo
echo "| instances | events/s from start | events/s sustained | start to first commit | start to last commit |"
echo "|---|---|---|---|---|"
echo "| 1 | $ONE_START | $(field "$ONE" throughput_eps) | $(field "$ONE" startup_s) s | $(field "$ONE" total_s) s |"
echo "| 2 | $TWO_START | $(field "$TWO" throughput_eps) | $(field "$TWO" startup_s) s | $(field "$TWO" total_s) s |"
echo
echo "2 instances / 1 instance: **$(ratio "$ONE_START" "$TWO_START")** from start, $(ratio "$(field "$ONE" throughput_eps)" "$(field "$TWO" throughput_eps)") sustained"
echo "reproduce: $COMMAND"
echo "raw results, configs and logs: $WORK"
