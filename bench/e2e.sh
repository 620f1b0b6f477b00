#!/usr/bin/env bash
# End-to-end throughput, latency and peak RSS of engaged against a stateless
# consume->produce passthrough, on one local Kafka broker, in one run (SPEC §10).
#
#   bench/e2e.sh [--events N] [--customers N] [--latency-seconds S] [--warmup-seconds W]
#                [--build DIR] [--commit-interval-ms MS] [--settle-seconds S] [--dir DIR]
#                [--no-exactly-once] [--latency-rate EVENTS_PER_S]
#                [--bootstrap HOST:PORT | --bootstrap-file FILE]
#
# Steps, each printed with its exact command:
#   1. start a single-node broker (ops/local/kafka.sh) in DIR/kafka, unless --bootstrap
#      (or a file holding it, as the ctest fixture writes) names a running one;
#   2. create the run's topics, 8 partitions each;
#   3. produce N events of a synthetic clickstream (Zipf customers in sessions);
#   4. passthrough A: throughput over the N events, then latency at half of it. This
#      also warms the broker: a fresh broker's JIT compiler otherwise takes up to half a
#      vCPU through the first seconds of the first latency phase, which starts behind;
#   5. engaged (at_least_once, the shipped lifecycle segments): throughput over the same
#      N events, then latency at half its measured throughput, then peak RSS;
#   6. engaged (exactly_once, its default 100 ms commits, the same segments):
#      throughput over the same N events and peak RSS (--no-exactly-once skips it);
#   7. passthrough B: throughput over the same N events, then latency at engaged's rate.
# engaged's throughputs are reported against the mean of A and B (the ceiling).
# --commit-interval-ms sets processing.commit_interval_ms of the passthroughs and of
# at_least_once engaged (default 1000, engaged's default). --settle-seconds idles S
# seconds between each processor's throughput and latency phases (default 0). Each
# latency phase runs W seconds (default 5) at its rate before its S measured seconds; the
# outputs of events produced in those W seconds are not counted (as OpenMessaging
# Benchmark's warm-up), but are in the samples file. --latency-rate offers engaged's
# latency phase (and so passthrough B's) that rate instead of half engaged's measured
# throughput: to compare two builds at one rate.
# The broker's log cleaner: engaged's changelog is the run's one compacted topic, and its
# first segments roll (and are cleaned) about 30 s after engaged starts, inside engaged's
# latency phase. On a fresh broker that first run also JIT-compiles the cleaner: on
# shared vCPUs that is a tail in engaged's latency which the broker causes
# (docs/benchmarks.md). So the report names the seconds of each latency phase whose p99
# is above 100 ms, and lists the cleaner runs that started in each, wherever the
# broker's log is readable (a broker the script started, or one whose --bootstrap-file
# sits beside its broker.log, as ops/local/kafka.sh writes them).
# Needs the targets engaged and engaged_load built in the --build directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
EVENTS=2000000
CUSTOMERS=1000000
LATENCY_SECONDS=30
WARMUP_SECONDS=5
COMMIT_INTERVAL_MS=1000
SETTLE_SECONDS=0
BUILD="$ROOT/build/rel"
DIR=""
BOOTSTRAP=""
EXACTLY_ONCE=1
LATENCY_RATE=""
BOOTSTRAP_FILE=""

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; }

while (($#)); do
  case $1 in
    --events) EVENTS=$2; shift 2 ;;
    --customers) CUSTOMERS=$2; shift 2 ;;
    --latency-seconds) LATENCY_SECONDS=$2; shift 2 ;;
    --warmup-seconds) WARMUP_SECONDS=$2; shift 2 ;;
    --commit-interval-ms) COMMIT_INTERVAL_MS=$2; shift 2 ;;
    --settle-seconds) SETTLE_SECONDS=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --bootstrap) BOOTSTRAP=$2; shift 2 ;;
    --bootstrap-file) BOOTSTRAP="$(<"$2")"; BOOTSTRAP_FILE=$2; shift 2 ;;
    --no-exactly-once) EXACTLY_ONCE=0; shift ;;
    --latency-rate) LATENCY_RATE=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "e2e.sh: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
  esac
done

# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
bench_setup e2e

# The broker's log (ops/local/kafka.sh writes it beside the bootstrap file), when readable.
BROKER_LOG=""
if ((STARTED_BROKER)); then
  BROKER_LOG="$DIR/kafka/broker.log"
elif [[ -n $BOOTSTRAP_FILE && -r "$(dirname "$BOOTSTRAP_FILE")/broker.log" ]]; then
  BROKER_LOG="$(dirname "$BOOTSTRAP_FILE")/broker.log"
fi

# Topics, groups, configs, state, logs and results of this run: unique to it.
RUN="e2e-$(date +%s)-$$"
IN="$RUN.in"
WORK="$DIR/$RUN"
mkdir -p "$WORK"
run "$ROOT/ops/local/kafka.sh" create-topics --bootstrap "$BOOTSTRAP" \
  "$IN:8" "$RUN.latency-engaged:8" "$RUN.latency-engaged-eos:8" "$RUN.latency-passthrough-a:8" \
  "$RUN.latency-passthrough-b:8" "$RUN.segment-changes:8" "$RUN.dead-letters:8" \
  "$RUN.passthrough-a-out:8" "$RUN.passthrough-b-out:8" 2>&1 | sed 's/^/  /' >&2

bench_produce "$IN"

# One config per processor: engaged's from the shipped lifecycle, the passthrough's
# with the same kafka map, topics and commit interval. Each processor reads the input
# and a latency topic of its own: one filled for another processor's latency phase
# would be more records than the throughput phase counts.
HTTP_PORT="$(free_port)"
write_config() {  # NAME OUTPUT_TOPIC [segments from FILE] [GUARANTEE]
  {
    echo "application_id: $RUN.$1"
    echo "kafka:"
    echo "  bootstrap.servers: \"$BOOTSTRAP\""
    echo "input:"
    echo "  topics: [$IN, $RUN.latency-$1]"
    echo "output:"
    echo "  segment_changes_topic: $2"
    echo "  dead_letters_topic: $RUN.dead-letters"
    echo "state:"
    echo "  dir: $WORK/state-$1"
    echo "processing:"
    if [[ ${4:-at_least_once} == exactly_once ]]; then
      echo "  guarantee: exactly_once"
      echo "  instance_id: $1"
    else
      echo "  commit_interval_ms: $COMMIT_INTERVAL_MS"
    fi
    echo "http:"
    echo "  host: 127.0.0.1"
    echo "  port: $HTTP_PORT"
    if [[ -n ${3:-} ]]; then sed -n '/^segments:/,$p' "$3"; fi
  } >"$WORK/$1.yaml"
}
write_config engaged "$RUN.segment-changes" "$ROOT/examples/lifecycle.yaml"
write_config engaged-eos "$RUN.segment-changes" "$ROOT/examples/lifecycle.yaml" exactly_once
write_config passthrough-a "$RUN.passthrough-a-out"
write_config passthrough-b "$RUN.passthrough-b-out"

measure() {  # LABEL LATENCY_ARGS... -- COMMAND...
  local label=$1
  shift
  run "$LOAD" measure --bootstrap "$BOOTSTRAP" --label "$label" --group "$RUN.$label" \
    --input "$IN" --customers "$CUSTOMERS" --settle-seconds "$SETTLE_SECONDS" \
    --latency-warmup-seconds "$WARMUP_SECONDS" \
    --log "$WORK/$label.log" "$@" | tee -a "$WORK/results.txt"
}

echo "machine: $(nproc) vCPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), load average $(cut -d' ' -f1-3 /proc/loadavg) at start" >&2
A="$(measure passthrough-a --latency-input "$RUN.latency-passthrough-a" --output "$RUN.passthrough-a-out" \
  --latency-fraction 0.5 --latency-seconds "$LATENCY_SECONDS" --samples "$WORK/passthrough-a-latency.csv" \
  -- "$LOAD" passthrough --config "$WORK/passthrough-a.yaml")" || true
bench_require_ok passthrough-a "$A" "$WORK/passthrough-a.log"
if [[ -n $LATENCY_RATE ]]; then ENGAGED_RATE=(--latency-rate "$LATENCY_RATE"); else ENGAGED_RATE=(--latency-fraction 0.5); fi
E="$(measure engaged --latency-input "$RUN.latency-engaged" --output "$RUN.segment-changes" \
  "${ENGAGED_RATE[@]}" --latency-seconds "$LATENCY_SECONDS" --samples "$WORK/engaged-latency.csv" \
  --metrics-port "$HTTP_PORT" --metrics-out "$WORK/engaged-metrics.txt" \
  -- "$ENGAGED" run --config "$WORK/engaged.yaml")" || true
bench_require_ok engaged "$E" "$WORK/engaged.log"
RATE="$(field "$E" latency_rate)"
X=""
if ((EXACTLY_ONCE)); then
  X="$(measure engaged-eos -- "$ENGAGED" run --config "$WORK/engaged-eos.yaml")" || true
  bench_require_ok engaged-eos "$X" "$WORK/engaged-eos.log"
fi
B="$(measure passthrough-b --latency-input "$RUN.latency-passthrough-b" --output "$RUN.passthrough-b-out" \
  --latency-rate "$RATE" --latency-seconds "$LATENCY_SECONDS" --samples "$WORK/passthrough-b-latency.csv" \
  -- "$LOAD" passthrough --config "$WORK/passthrough-b.yaml")" || true
bench_require_ok passthrough-b "$B" "$WORK/passthrough-b.log"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at end" >&2

[[ $(field "$E" latency_samples) -gt 0 && $(field "$B" latency_samples) -gt 0 ]] ||
  { echo "e2e.sh: no latency samples" >&2; exit 1; }

CEILING="$(awk -v a="$(field "$A" throughput_eps)" -v b="$(field "$B" throughput_eps)" 'BEGIN { printf "%.0f", (a + b) / 2 }')"
RATIO="$(awk -v e="$(field "$E" throughput_eps)" -v c="$CEILING" 'BEGIN { printf "%.1f", 100 * e / c }')"

echo
echo "## End-to-end, $(date -u +%Y-%m-%d), $EVENTS events, $CUSTOMERS customers, 8 partitions, commit_interval_ms $COMMIT_INTERVAL_MS (exactly_once: 100), latency over ${LATENCY_SECONDS} s after a ${WARMUP_SECONDS} s warm-up"
echo
# "load tool behind": how far the load producer fell behind its schedule; large values
# mean the machine starved the processes of CPU during the latency phase.
echo "| processor | events/s (sustained) | CPU s per M events | latency offered | p50 / p99 / p999 ms (samples) | load tool behind | peak RSS |"
echo "|---|---|---|---|---|---|---|"
for r in "$A" "$E" "$X" "$B"; do
  [[ -n $r ]] || continue
  lat="—"
  [[ $(field "$r" latency_samples) == 0 ]] ||
    lat="$(field "$r" p50_ms) / $(field "$r" p99_ms) / $(field "$r" p999_ms) ($(field "$r" latency_samples))"
  offered="—"
  behind="—"
  if [[ $(field "$r" latency_events) != 0 ]]; then
    offered="$(field "$r" latency_rate)/s"
    behind="$(field "$r" producer_behind_ms) ms"
  fi
  echo "| $(field "$r" label) | $(field "$r" throughput_eps) | $(field "$r" cpu_s_per_mevent) | $offered | $lat | $behind | $(field "$r" peak_rss_mib) MiB |"
done
echo
echo "passthrough-a's latency phase is the broker's first one: on a fresh broker, its JIT compiles through it."
echo "engaged at_least_once / passthrough ceiling (mean of A and B, $CEILING events/s): **$RATIO %** (target ≥ 70 %)"
if [[ -n $X ]]; then
  RATIO_EOS="$(awk -v e="$(field "$X" throughput_eps)" -v c="$CEILING" 'BEGIN { printf "%.1f", 100 * e / c }')"
  echo "engaged exactly_once / passthrough ceiling: **$RATIO_EOS %** (target ≥ 70 %)"
fi
histogram() {  # METRIC: engaged's own view of the latency phase
  "$ROOT/bench/histogram_delta.py" "$WORK/engaged-metrics.txt.before" "$WORK/engaged-metrics.txt" "$1"
}
echo "engaged's own histograms over its latency phase (bucket upper bounds):"
echo "- engaged_end_to_end_latency_seconds (input broker timestamp to processed): $(histogram engaged_end_to_end_latency_seconds)"
echo "- engaged_commit_duration_seconds (flush outputs, write state): $(histogram engaged_commit_duration_seconds)"
echo "seconds of each latency phase with p99 > 100 ms (warm-up included; bench/slow_seconds.py):"
phases=()  # LABEL:START_MS:SECONDS of each, for bench/cleaner_runs.py
for r in "$A" "$E" "$B"; do
  label="$(field "$r" label)"
  echo "- $label: $("$ROOT/bench/slow_seconds.py" "$WORK/$label-latency.csv")"
  phases+=("$label:$(field "$r" latency_started_ms):$((WARMUP_SECONDS + LATENCY_SECONDS))")
done
if [[ -n $BROKER_LOG ]]; then
  echo "the broker's log cleaner, runs that started in each latency phase (warm-up included):"
  "$ROOT/bench/cleaner_runs.py" "$BROKER_LOG" "${phases[@]}"
fi
echo "raw results, configs, logs and latency samples: $WORK"
