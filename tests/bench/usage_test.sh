#!/bin/sh
# usage_test.sh RC PATTERN COMMAND [ARGS...]: runs COMMAND, and passes when it exits
# with RC and its output (stdout and stderr) contains PATTERN, a fixed string.
rc_want="$1" pattern="$2"
shift 2
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne "$rc_want" ]; then
  echo "usage_test: exit code $rc, want $rc_want" >&2
  exit 1
fi
if ! printf '%s\n' "$out" | grep -q -F -e "$pattern"; then
  echo "usage_test: output does not name '$pattern'" >&2
  exit 1
fi
