#!/usr/bin/env bash
# Runs every test of engaged, from a fresh clone, with nothing installed by hand:
#   1. installs the Debian packages (ops/local/install-deps.sh) and the Kafka jars;
#   2. checks formatting (clang-format);
#   3. builds (RelWithDebInfo) and runs unit and integration tests with ctest; the
#      integration tests start a real single-node Kafka through a ctest fixture;
#      then runs clang-tidy;
#   4. builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs the
#      whole suite once more.
# Set ENGAGED_SKIP_SANITIZERS=1 to skip step 4 on a quick local run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
JOBS="${ENGAGED_JOBS:-$(nproc)}"

# Each step says how long the run has taken so far, to see where CI's time goes.
step() { printf '\n==> %s (at %dm%02ds)\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }

step "dependencies"
ops/local/install-deps.sh
ops/local/kafka.sh fetch >/dev/null

step "format"
mapfile -t sources < <(git ls-files '*.h' '*.cc')
if ((${#sources[@]} > 0)); then
  clang-format --dry-run --Werror "${sources[@]}"
fi

step "alert rules (promtool)"
promtool check rules ops/prometheus/alerts.yml
promtool test rules ops/prometheus/alerts_test.yml

run_suite() {
  local dir="$1"; shift
  step "configure and build in $dir $*"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
  step "unit tests ($dir)"
  ctest --test-dir "$dir" -LE integration -j "$JOBS" --output-on-failure --timeout 600
  step "integration tests against a real broker ($dir)"
  # In parallel on the one fixture broker: each test names its topics and groups
  # uniquely, and most of their time is waiting on the broker (2x faster on 2 vCPUs).
  ctest --test-dir "$dir" -L integration -j "$JOBS" --output-on-failure --timeout 900
}

run_suite build/test

step "clang-tidy (the checks in .clang-tidy; WarningsAsErrors fail the run)"
tidy_log=build/test/clang-tidy.log
if ! git ls-files 'ops/*.cc' 'state/*.cc' 'processors/*.cc' 'topologies/*.cc' |
  xargs -P "$JOBS" -n 4 clang-tidy -p build/test --quiet >"$tidy_log" 2>&1; then
  grep -E -A3 'error:' "$tidy_log" >&2 || cat "$tidy_log" >&2
  echo "clang-tidy reported errors (full log: $tidy_log)" >&2
  exit 1
fi
grep -E '(warning|error):' "$tidy_log" || echo "clang-tidy: no findings"

if [[ "${ENGAGED_SKIP_SANITIZERS:-0}" != "1" ]]; then
  # Leak checks stay on; librdkafka's and RocksDB's background threads exit cleanly.
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  run_suite build/asan -DENGAGED_SANITIZE=ON -DENGAGED_BUILD_BENCH=OFF
fi
step "all tests passed"
