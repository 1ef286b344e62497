#!/usr/bin/env bash
# Issue 13's figures: what reading a core compressed or from standard input costs, what
# each output format costs, and what re-symbolizing a saved snapshot costs; ukstack
# against eu-stack and gdb on the same core, interleaved, in one run.
#
#   tests/bench/run_shipping_bench.sh [--threads N] [--reps R] [--build-dir DIR]
#
# From a fresh clone, after ./setup.sh build. Needs root (gcore), zstd, gdb, eu-stack.
# It starts tests/bench/many_threads N (default 1000) blocked forever, takes one gcore
# of it, ends it, and times (median of R, default 5):
#   - the user stacks of every thread from the core: `ukstack --core` on the plain
#     core, on its zstd file, and on the zstd file piped to `--core -`; `eu-stack
#     --core` and gdb's `thread apply all bt` on the plain core;
#   - `ukstack --input snapshot.json` of a 1,000-thread live capture in each --format;
#   - `--input --resymbolize --debug-dir DIR` of fixtures/stripped_reader's snapshot
#     against the same --input without it.
# Prints Markdown tables. Exit status 0 whatever the figures are (a measurement, not a
# test); 2 if it could not run at all.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$ROOT/build"
THREADS=1000
REPS=5
while (($#)); do
  case "$1" in
    --threads) THREADS="$2"; shift ;;
    --reps) REPS="$2"; shift ;;
    --build-dir) BUILD="$2"; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run_shipping_bench: unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done
UKSTACK="${UKSTACK:-$BUILD/src/ukstack}"
TARGET="$BUILD/tests/bench/many_threads"
for need in "$UKSTACK" "$TARGET" "$BUILD/fixtures/stripped_reader"; do
  [[ -x $need ]] || { echo "run_shipping_bench: $need is not built (./setup.sh build)" >&2; exit 2; }
done
for tool in gcore gdb eu-stack zstd objcopy; do
  command -v "$tool" >/dev/null || { echo "run_shipping_bench: needs $tool" >&2; exit 2; }
done
((EUID == 0)) || { echo "run_shipping_bench: needs root (gcore)" >&2; exit 2; }

BENCH=run_shipping_bench TMP_PREFIX=ukstack-shipping-bench
# shellcheck source=tests/bench/timing.sh
source "$ROOT/tests/bench/timing.sh"

echo "# ukstack issue 13: cores, formats, re-symbolizing"
echo
echo "$(date -u +%FT%TZ), $(nproc) CPUs, kernel $(uname -r), $THREADS threads, median of $REPS."
echo "Reproduce: tests/bench/run_shipping_bench.sh --threads $THREADS --reps $REPS"

# ---- a core of many threads ---------------------------------------------------
start "$TARGET" "$THREADS"
target=$STARTED
"$UKSTACK" --format json -o "$TMP/live.json" "$target" >/dev/null 2>&1
gcore -o "$TMP/core" "$target" >/dev/null 2>&1
end "$target"
core="$TMP/core.$target"
[[ -s $core ]] || { echo "run_shipping_bench: gcore made no core" >&2; exit 2; }
zstd -q -3 "$core" -o "$core.zst"
exe="$TARGET"
time_all \
  "plain=$UKSTACK --core $core --exe $exe" \
  "zstd=$UKSTACK --core $core.zst --exe $exe" \
  "stdin=$UKSTACK --core - --exe $exe < $core.zst" \
  "eu=eu-stack --core $core -e $exe" \
  "gdb=gdb -batch -nx -ex 'thread apply all bt' $exe $core"
echo
echo "## The user stacks of $THREADS threads from a core ($(du -m "$core" | cut -f1) MB; zstd -3: $(du -m "$core.zst" | cut -f1) MB)"
echo
echo "| command | ms | peak RSS MB | / eu-stack --core | / gdb |"
echo "|---|---:|---:|---:|---:|"
for row in "plain:ukstack --core CORE" "zstd:ukstack --core CORE.zst" "stdin:ukstack --core - < CORE.zst" \
           "eu:eu-stack --core CORE" "gdb:gdb thread apply all bt"; do
  name="${row%%:*}"
  echo "| \`${row#*:}\` | ${MS[$name]} | ${MB[$name]} | $(ratio "${MS[$name]}" "${MS[eu]}") | $(ratio "${MS[$name]}" "${MS[gdb]}") |"
done

# ---- each output format of a saved snapshot -------------------------------------
snapshot="$TMP/live.json"
time_all \
  "text=$UKSTACK --input $snapshot --format text" \
  "json=$UKSTACK --input $snapshot --format json" \
  "folded=$UKSTACK --input $snapshot --format folded" \
  "pprof=$UKSTACK --input $snapshot --format pprof > $TMP/out.pb.gz"
echo
echo "## Each --format of a saved $THREADS-thread snapshot ($(du -k "$snapshot" | cut -f1) KB of JSON)"
echo
echo "| format | ms | peak RSS MB | output bytes | / text |"
echo "|---|---:|---:|---:|---:|"
for name in text json folded pprof; do
  bytes=$("$UKSTACK" --input "$snapshot" --format "$name" 2>/dev/null | wc -c)
  echo "| $name | ${MS[$name]} | ${MB[$name]} | $bytes | $(ratio "${MS[$name]}" "${MS[text]}") |"
done

# ---- re-symbolizing a stripped program's snapshot --------------------------------
stripped="$TMP/stripped_reader"
cp "$BUILD/fixtures/stripped_reader" "$stripped"
id=$(readelf -n "$stripped" | awk '/Build ID/ { print $3 }')
mkdir -p "$TMP/debug/.build-id/${id:0:2}"
if [[ -x $BUILD/fixtures/stripped_reader_unstripped ]]; then
  objcopy --only-keep-debug "$BUILD/fixtures/stripped_reader_unstripped" "$TMP/debug/.build-id/${id:0:2}/${id:2}.debug"
fi
start "$stripped"
"$UKSTACK" -o "$TMP/stripped.json" "$STARTED" >/dev/null 2>&1
end "$STARTED"
time_all \
  "input=$UKSTACK --input $TMP/stripped.json" \
  "resym=$UKSTACK --input $TMP/stripped.json --resymbolize --debug-dir $TMP/debug"
named_before=$("$UKSTACK" --input "$TMP/stripped.json" --format folded | grep -c stripped_inner)
named_after=$("$UKSTACK" --input "$TMP/stripped.json" --resymbolize --debug-dir "$TMP/debug" --format folded | grep -c stripped_inner)
echo
echo "## Re-symbolizing a stripped program's snapshot from its debug file"
echo
echo "| command | ms | peak RSS MB | stacks naming stripped_inner |"
echo "|---|---:|---:|---:|"
echo "| \`ukstack --input snap.json\` | ${MS[input]} | ${MB[input]} | $named_before |"
echo "| \`ukstack --input snap.json --resymbolize --debug-dir DIR\` | ${MS[resym]} | ${MB[resym]} | $named_after |"
