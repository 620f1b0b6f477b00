# Sourced by bench/e2e.sh, bench/restore.sh and bench/scaleout.sh: the binaries, the
# work directory, printing each command, the broker, and engaged's config.

# Prints a command, then runs it.
run() {
  echo "\$ $*" >&2
  "$@"
}

# bench_setup NAME, after the script read its flags: sets BENCH_NAME, and ENGAGED and LOAD from $BUILD
# (exits when either is not built), makes $DIR absolute (a new /tmp/engaged-NAME.*
# when empty), and starts a single-node broker in $DIR/kafka unless $BOOTSTRAP names a
# running one. At exit it calls the script's bench_on_exit, if defined, then stops the
# broker it started.
bench_setup() {
  local name=$1
  BENCH_NAME=$name
  ENGAGED="$BUILD/topologies/engaged"
  LOAD="$BUILD/bench/engaged_load"
  for bin in "$ENGAGED" "$LOAD"; do
    [[ -x $bin ]] || { echo "$name.sh: $bin not built (cmake --build $BUILD --target engaged engaged_load)" >&2; exit 1; }
  done
  [[ -n $DIR ]] || DIR="$(mktemp -d "/tmp/engaged-$name.XXXXXX")"
  mkdir -p "$DIR"
  DIR="$(cd "$DIR" && pwd)"
  STARTED_BROKER=0
  trap bench_cleanup EXIT
  if [[ -z $BOOTSTRAP ]]; then
    BOOTSTRAP="$(run "$ROOT/ops/local/kafka.sh" start --dir "$DIR/kafka" | tail -n 1)"
    STARTED_BROKER=1
  fi
}

bench_cleanup() {
  if declare -F bench_on_exit >/dev/null; then bench_on_exit; fi
  if ((STARTED_BROKER)); then "$ROOT/ops/local/kafka.sh" stop --dir "$DIR/kafka" >/dev/null 2>&1 || true; fi
}

# bench_produce TOPIC [ENGAGED_LOAD_PRODUCE_FLAGS...]: produces $EVENTS events of
# $CUSTOMERS customers to TOPIC. A topic just created may not be in the broker's
# metadata yet: the load tool then refuses before producing anything, and the produce
# is tried again.
bench_produce() {
  local topic=$1 attempt out
  shift
  for attempt in 1 2 3 4 5; do
    if out="$(run "$LOAD" produce --bootstrap "$BOOTSTRAP" --topic "$topic" --events "$EVENTS" \
      --customers "$CUSTOMERS" --seed 1 "$@" 2>&1)"; then
      echo "$out" >&2
      return 0
    fi
    echo "$out" >&2
    grep -q 'does not exist or is not readable' <<<"$out" || return 1
    sleep "$attempt"
  done
  return 1
}

# bench_show_problems LOG: the last warnings and errors of a run's log on stderr, so that
# a failure shows its cause where it is reported (a ctest log, a terminal).
bench_show_problems() {
  local log=$1
  [[ -r $log ]] || { echo "  (no log at $log)" >&2; return 0; }
  echo "  the last warnings and errors of $log:" >&2
  grep -E '"level":"(warn|error|critical)"|^[^{]' "$log" | tail -n 30 | sed 's/^/    /' >&2 || true
}

# bench_require_ok LABEL RESULT LOG: exits the script when the engaged_load measure run
# LABEL failed (no RESULT line, or a non-zero exit), showing LOG's last problems.
bench_require_ok() {
  [[ $(field "$2" exit) == 0 ]] && return 0
  echo "$BENCH_NAME.sh: run '$1' failed: $2 (log: $3)" >&2
  bench_show_problems "$3"
  exit 1
}

# A TCP port on 127.0.0.1 that was free a moment ago.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# bench_engaged_config APPLICATION_ID STATE_DIR INSTANCE_ID HTTP_PORT: on stdout, an
# engaged config that reads $IN, writes $RUN.segment-changes and $RUN.dead-letters,
# runs under $GUARANTEE (with $COMMIT_INTERVAL_MS when set) and holds the shipped
# lifecycle segments.
bench_engaged_config() {
  echo "application_id: $1"
  echo "kafka:"
  echo "  bootstrap.servers: \"$BOOTSTRAP\""
  echo "input:"
  echo "  topics: [$IN]"
  echo "output:"
  echo "  segment_changes_topic: $RUN.segment-changes"
  echo "  dead_letters_topic: $RUN.dead-letters"
  echo "state:"
  echo "  dir: $2"
  echo "processing:"
  echo "  guarantee: $GUARANTEE"
  echo "  instance_id: $3"
  if [[ -n ${COMMIT_INTERVAL_MS:-} ]]; then echo "  commit_interval_ms: $COMMIT_INTERVAL_MS"; fi
  echo "http:"
  echo "  host: 127.0.0.1"
  echo "  port: $4"
  sed -n '/^segments:/,$p' "$ROOT/examples/lifecycle.yaml"
}

# field RESULT_LINE NAME: the value of NAME=VALUE in one of engaged_load's result lines.
field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" <<<"$1"; }
