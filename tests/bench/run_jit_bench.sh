#!/usr/bin/env bash
# What naming JIT frames from a perf map costs (issue 14, part 6): `ukstack --format
# json PID` on fixtures/node/blocking_read.js (node --perf-basic-prof
# --interpreted-frames-native-stack, blocked in a read of a FIFO), interleaved:
#   map      with the perf map V8 wrote;
#   no-map   the same process with its map moved away (frames stay ??);
#   big-map  V8's map plus filler lines elsewhere in the address space, to SIZE MiB.
#
#   tests/bench/run_jit_bench.sh [--reps R] [--big-mib SIZE] [--build-dir DIR]
#
# Needs root (ptrace, /proc/<tid>/stack) and /usr/bin/node. Prints a Markdown table
# (median, min-max ms) and the maps' sizes. Exit status 0 whatever the figures are
# (a measurement, not a test); 2 if it could not run at all.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$ROOT/build"
REPS=20
BIG_MIB=32
while (($#)); do
  case "$1" in
    --reps) REPS="$2"; shift 2 ;;
    --big-mib) BIG_MIB="$2"; shift 2 ;;
    --build-dir) BUILD="$2"; shift 2 ;;
    *) echo "usage: $0 [--reps R] [--big-mib SIZE] [--build-dir DIR]" >&2; exit 64 ;;
  esac
done
UKSTACK="${UKSTACK:-$BUILD/src/ukstack}"
[[ -x "$UKSTACK" ]] || { echo "no ukstack at $UKSTACK (build it first)" >&2; exit 2; }
[[ -x /usr/bin/node ]] || { echo "/usr/bin/node is not installed" >&2; exit 2; }

WORK="$(mktemp -d)"
NODE_PID=""
cleanup() {
  [[ -n "$NODE_PID" ]] && kill -KILL "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
  [[ -n "$NODE_PID" ]] && rm -f "/tmp/perf-$NODE_PID.map"
  rm -rf "$WORK"
}
trap cleanup EXIT

mkfifo "$WORK/fifo"
/usr/bin/node --perf-basic-prof --interpreted-frames-native-stack \
  --logfile="$WORK/v8.log" --no-logfile-per-isolate \
  "$ROOT/fixtures/node/blocking_read.js" "$WORK/fifo" >"$WORK/out" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 500); do
  grep -q '^ready' "$WORK/out" 2>/dev/null && break
  sleep 0.01  # polling the fixture's ready line (this is a measurement, not a test)
done
grep -q '^ready' "$WORK/out" || { echo "node printed no ready line" >&2; exit 2; }
MAP="/tmp/perf-$NODE_PID.map"
cp "$MAP" "$WORK/v8.map"

# Filler: entries far from any code of the process (a made-up range), so that the
# names of the real frames stay those of V8's lines.
{
  cat "$WORK/v8.map"
  awk -v bytes=$((BIG_MIB << 20)) 'BEGIN {
    for (i = 0; total < bytes; ++i) {
      line = sprintf("%x 40 JS:~filler%d /srv/app/generated.js:%d:1", 0x100000000000 + i * 64, i, i);
      print line; total += length(line) + 1 }}'
} >"$WORK/big.map"

# Milliseconds of one capture.
capture_ms() {
  local start end
  start=$(date +%s%N)
  "$UKSTACK" --format json "$NODE_PID" >/dev/null 2>&1
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

declare -A times
for _ in $(seq 1 "$REPS"); do
  cp "$WORK/v8.map" "$MAP"; times[map]+="$(capture_ms) "
  rm -f "$MAP"; times[no-map]+="$(capture_ms) "
  cp "$WORK/big.map" "$MAP"; times[big-map]+="$(capture_ms) "
done
cp "$WORK/v8.map" "$MAP"
jit=$("$UKSTACK" --format json "$NODE_PID" | grep -c '"language": *"jit"')

stats() {  # median min max of the numbers given
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%d | %d-%d", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
echo "node $(/usr/bin/node --version), $REPS captures each, interleaved; JIT frames named: $jit"
echo
echo "| perf map | size | lines | ms median | ms min-max |"
echo "|---|---|---|---|---|"
for kind in map no-map big-map; do
  case $kind in
    map) size=$(stat -c %s "$WORK/v8.map"); lines=$(wc -l <"$WORK/v8.map") ;;
    no-map) size=0; lines=0 ;;
    big-map) size=$(stat -c %s "$WORK/big.map"); lines=$(wc -l <"$WORK/big.map") ;;
  esac
  # shellcheck disable=SC2086
  echo "| $kind | $size B | $lines | $(stats ${times[$kind]}) |"
done
