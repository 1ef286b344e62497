#!/usr/bin/env bash
# ukstack vs gdb vs eu-stack on a process whose main thread is in state D: the parent
# of a vfork(2) (fixture vfork_d_state) while its child sleeps SECONDS. A ptrace stop
# cannot happen before the child execs or exits, so a tool that waits for the stop
# takes about SECONDS; ukstack (--timeout 200) answers without stopping the thread.
# The ctest suite checks ukstack's side (never_d_state_test.cpp); this script only
# measures, and moved here out of ctest (issue 9, part 6).
#
#   tests/bench/run_d_state_bench.sh [--seconds S] [--cap C] [--build-dir DIR]
#
# For each tool: wall time, exit status, whether it was killed at the cap (C s,
# default 20) and the target's state afterwards. Needs root and a configured build
# (ukstack and the fixtures). Exit status 0 whatever the figures are; 2 if it could
# not run at all.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$ROOT/build"
SLEEP=10
CAP=20
while (($#)); do
  case "$1" in
    --seconds) SLEEP="$2"; shift ;;
    --cap) CAP="$2"; shift ;;
    --build-dir) BUILD="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run_d_state_bench: unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done
if ((EUID != 0)); then
  echo "run_d_state_bench: needs root (ptrace, /proc/<tid>/stack)" >&2
  exit 2
fi
UKSTACK="${UKSTACK:-$BUILD/src/ukstack}"
FIXTURE="$BUILD/fixtures/vfork_d_state"
for f in "$UKSTACK" "$FIXTURE"; do
  [[ -x "$f" ]] || { echo "run_d_state_bench: missing $f (cmake --build $BUILD --target ukstack vfork_d_state)" >&2; exit 2; }
done

# Every process started here is ended by its pid on every path: the fixture (the
# vfork parent) and its child (named on the ready line).
TMP="$(mktemp -d /tmp/ukstack-d-state.XXXXXX)"
PARENT=""
CHILD=""
end_target() {
  [[ -n "$CHILD" ]] && kill -KILL "$CHILD" 2>/dev/null
  [[ -n "$PARENT" ]] && { kill -KILL "$PARENT" 2>/dev/null; wait "$PARENT" 2>/dev/null; }
  PARENT=""
  CHILD=""
}
trap 'end_target; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM HUP

state_of() { awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null || echo '?'; }

# Starts the fixture and waits for its ready line, then for the parent to be in D.
start_target() {
  "$FIXTURE" "$SLEEP" >"$TMP/ready" 2>"$TMP/fixture.err" &
  PARENT=$!
  local line=""
  for ((i = 0; i < 1000; ++i)); do
    line=$(grep -m1 '^ready' "$TMP/ready" 2>/dev/null) && break
    kill -0 "$PARENT" 2>/dev/null || break
    sleep 0.01  # polling for a condition (the ready line), not a fixed wait
  done
  [[ -n "$line" ]] || { echo "run_d_state_bench: fixture printed no ready line" >&2; return 1; }
  CHILD=$(sed -n 's/.* child=\([0-9]*\).*/\1/p' <<<"$line")
  for ((i = 0; i < 1000; ++i)); do
    [[ "$(state_of "$PARENT")" == D ]] && return 0
    sleep 0.01
  done
  echo "run_d_state_bench: the vfork parent never entered state D" >&2
  return 1
}

printf '| %-9s | %8s | %4s | %-14s | %-12s |\n' tool seconds exit 'killed at cap' 'state after'
printf '|%s|%s|%s|%s|%s|\n' ----------- ---------- ------ ---------------- --------------
for tool in ukstack gdb eu-stack; do
  case "$tool" in
    ukstack) cmd=("$UKSTACK" --timeout 200) ;;
    gdb) cmd=(gdb -batch -nx -iex 'set debuginfod enabled off' -ex 'set pagination off'
              -ex 'thread apply all bt' -p) ;;
    eu-stack) cmd=(eu-stack -p) ;;
  esac
  if ! command -v "${cmd[0]}" >/dev/null; then
    printf '| %-9s | %8s | %4s | %-14s | %-12s |\n' "$tool" - - 'not installed' -
    continue
  fi
  start_target || exit 2
  start=$(date +%s.%N)
  timeout -s KILL "$CAP" "${cmd[@]}" "$PARENT" >"$TMP/$tool.out" 2>&1
  rc=$?
  end=$(date +%s.%N)
  capped=no
  ((rc == 137)) && capped=yes
  after=$(state_of "$PARENT")
  printf '| %-9s | %8.2f | %4d | %-14s | %-12s |\n' "$tool" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$rc" \
    "$capped" "$after"
  end_target
done
echo
echo "vfork child sleeps $SLEEP s; each tool capped at $CAP s (SIGKILL)."
