#!/usr/bin/env bash
# The main job, end to end, on a local Kafka: installs what is missing, builds
# engaged, starts a single-node broker, creates the topics, runs `engaged run`, feeds
# it a synthetic clickstream and shows the segment-change events that come out.
#
#   ops/local/demo.sh            # everything stops at the end
#   ops/local/demo.sh --keep     # leave the broker and engaged running to explore
#
# Environment: ENGAGED_DEMO_DIR (default /tmp/engaged-demo), ENGAGED_DEMO_EVENTS
# (default 20000), ENGAGED_DEMO_CUSTOMERS (default 2000).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
DEMO_DIR="${ENGAGED_DEMO_DIR:-/tmp/engaged-demo}"
EVENTS="${ENGAGED_DEMO_EVENTS:-20000}"
CUSTOMERS="${ENGAGED_DEMO_CUSTOMERS:-2000}"
KEEP=0
[[ "${1:-}" == "--keep" ]] && KEEP=1
BUILD=build/release
ENGAGED="$BUILD/topologies/engaged"
KAFKA=ops/local/kafka.sh

step() { printf '\n==> %s\n' "$*"; }

step "dependencies and build"
ops/local/install-deps.sh
$KAFKA fetch >/dev/null
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DENGAGED_BUILD_TESTS=OFF -DENGAGED_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD" --target engaged -j "$(nproc)"

# Every run starts from nothing, so that what it shows is this run's output: a broker
# left by an earlier `--keep` is stopped, and its data and engaged's state removed.
$KAFKA stop --dir "$DEMO_DIR/kafka" >/dev/null 2>&1 || true
rm -rf "$DEMO_DIR/kafka" "$DEMO_DIR/state" "$DEMO_DIR/engaged.log"
mkdir -p "$DEMO_DIR"
step "starting a single-node Kafka in $DEMO_DIR/kafka"
BOOTSTRAP="$($KAFKA start --dir "$DEMO_DIR/kafka")"
ENGAGED_PID=""
cleanup() {
  if ((KEEP)); then
    printf '\nLeft running: broker %s, engaged pid %s. Stop them with:\n' "$BOOTSTRAP" "$ENGAGED_PID"
    printf '  kill %s; %s stop --dir %s\n' "$ENGAGED_PID" "$KAFKA" "$DEMO_DIR/kafka"
    return
  fi
  if [[ -n $ENGAGED_PID ]] && kill -0 "$ENGAGED_PID" 2>/dev/null; then
    kill -TERM "$ENGAGED_PID"
    wait "$ENGAGED_PID" || true
  fi
  $KAFKA stop --dir "$DEMO_DIR/kafka"
}
trap cleanup EXIT
$KAFKA create-topics --bootstrap "$BOOTSTRAP" engaged.events:4 engaged.segment-changes:4 \
  engaged.dead-letters:1

HTTP_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
step "running engaged (log: $DEMO_DIR/engaged.log)"
ENGAGED_BOOTSTRAP="$BOOTSTRAP" ENGAGED_STATE_DIR="$DEMO_DIR/state" ENGAGED_HTTP_PORT="$HTTP_PORT" \
  "$ENGAGED" run --config examples/local.yaml >"$DEMO_DIR/engaged.log" 2>&1 &
ENGAGED_PID=$!
echo "metrics: http://127.0.0.1:$HTTP_PORT/metrics   health: /livez /readyz   state: /customers/{id}"

step "producing $EVENTS synthetic events for $CUSTOMERS customers to engaged.events"
START_MS=$(( $(date +%s) * 1000 - EVENTS * 100 ))
"$ENGAGED" gen --events "$EVENTS" --customers "$CUSTOMERS" --keyed --start "$START_MS" \
  --interval-ms 100 | $KAFKA produce --bootstrap "$BOOTSTRAP" --topic engaged.events

step "the first segment-change events on engaged.segment-changes (key, then value)"
$KAFKA consume --bootstrap "$BOOTSTRAP" --topic engaged.segment-changes --max 10 --timeout-ms 30000

sleep 2
step "what engaged counted"
curl -fsS "http://127.0.0.1:$HTTP_PORT/metrics" |
  grep -E '^engaged_(records_consumed_total|segment_transitions_total|dead_letters_total)' |
  sort | head -20
curl -fsS "http://127.0.0.1:$HTTP_PORT/customers/cust-0" || true
echo
