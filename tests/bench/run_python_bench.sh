#!/usr/bin/env bash
# Issue 14's figures: the time to capture a Python process of many threads, every
# thread with its Python frames, against gdb with python3.11-dbg's py-bt on every
# thread (py-spy and pystack are not in Debian 12), and eu-stack (native frames only)
# on the same process, interleaved, in one run.
#
#   tests/bench/run_python_bench.sh [--threads N] [--reps R] [--build-dir DIR]
#
# From a fresh clone, after ./setup.sh build. Needs root (ptrace), gdb with
# python3.11-dbg (its py-bt), eu-stack. It starts fixtures/python/blocking_threads.py
# --many N (default 100: N threads asleep in time.sleep, 3 Python calls deep) under
# Debian's /usr/bin/python3.11 and times (median of R, default 5):
#   - `ukstack PID` (text: both halves of every thread, Python frames merged), and
#     with --stop all (every thread stopped first);
#   - `gdb -p PID -ex 'thread apply all py-bt'` (Python frames only);
#   - `gdb -p PID -ex 'thread apply all bt'` and `eu-stack -p PID` (native only).
# Then it checks that ukstack's Python frames of every thread are the program's own
# (its sys._current_frames() dump) and says how many agreed. Prints Markdown tables.
# Exit status 0 whatever the figures are (a measurement, not a test); 2 if it could
# not run at all.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$ROOT/build"
THREADS=100
REPS=5
while (($#)); do
  case "$1" in
    --threads) THREADS="$2"; shift ;;
    --reps) REPS="$2"; shift ;;
    --build-dir) BUILD="$2"; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "run_python_bench: unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done
UKSTACK="${UKSTACK:-$BUILD/src/ukstack}"
PYTHON=/usr/bin/python3.11
SCRIPT="$ROOT/fixtures/python/blocking_threads.py"
[[ -x $UKSTACK ]] || { echo "run_python_bench: $UKSTACK is not built (./setup.sh build)" >&2; exit 2; }
[[ -x $PYTHON ]] || { echo "run_python_bench: needs $PYTHON (apt-get install python3.11)" >&2; exit 2; }
for tool in gdb eu-stack; do
  command -v "$tool" >/dev/null || { echo "run_python_bench: needs $tool" >&2; exit 2; }
done
((EUID == 0)) || { echo "run_python_bench: needs root (ptrace)" >&2; exit 2; }

BENCH=run_python_bench TMP_PREFIX=ukstack-python-bench
# shellcheck source=tests/bench/timing.sh
source "$ROOT/tests/bench/timing.sh"

echo "# ukstack issue 14: a Python process of $THREADS threads"
echo
echo "$(date -u +%FT%TZ), $(nproc) CPUs, kernel $(uname -r), $($PYTHON --version 2>&1), median of $REPS."
echo "Reproduce: tests/bench/run_python_bench.sh --threads $THREADS --reps $REPS"

start "$PYTHON" "$SCRIPT" "$TMP/dump.json" --many "$THREADS"
target=$STARTED
time_all \
  "auto=$UKSTACK $target" \
  "all=$UKSTACK --stop all $target" \
  "pybt=gdb -batch -nx -iex 'add-auto-load-safe-path /usr/share/gdb/auto-load' -p $target -ex 'thread apply all py-bt'" \
  "bt=gdb -batch -nx -p $target -ex 'thread apply all bt'" \
  "eu=eu-stack -p $target"
echo
echo "## $((THREADS + 1)) threads of a Python process"
echo
echo "| command | frames | ms | peak RSS MB | / gdb py-bt | / eu-stack |"
echo "|---|---|---:|---:|---:|---:|"
for row in "auto:ukstack PID:kernel, native, Python" "all:ukstack --stop all PID:kernel, native, Python" \
           "pybt:gdb thread apply all py-bt:Python" "bt:gdb thread apply all bt:native" \
           "eu:eu-stack -p PID:native"; do
  IFS=: read -r name shown frames <<<"$row"
  echo "| \`$shown\` | $frames | ${MS[$name]} | ${MB[$name]} | $(ratio "${MS[$name]}" "${MS[pybt]}") | $(ratio "${MS[$name]}" "${MS[eu]}") |"
done

# ---- agreement with the program's own account -------------------------------------
"$UKSTACK" --format json "$target" >"$TMP/ukstack.json" 2>/dev/null
gdb -batch -nx -iex 'add-auto-load-safe-path /usr/share/gdb/auto-load' -p "$target" \
  -ex 'thread apply all py-bt' >"$TMP/pybt.txt" 2>/dev/null
"$PYTHON" - "$TMP/dump.json" "$TMP/ukstack.json" "$TMP/pybt.txt" <<'PY'
import json, re, sys
dump = json.load(open(sys.argv[1]))["frames"]
snapshot = json.load(open(sys.argv[2]))
ours = {str(t["tid"]): [{"function": f["function"], "file": f["file"], "line": f["line"]}
                        for f in t["user"]["frames"] if f.get("language") == "python"]
        for t in snapshot["threads"]}
agree = sum(1 for tid, frames in dump.items() if ours.get(tid) == frames)
# gdb's py-bt: "Thread N (Thread 0x... (LWP tid))" then one "File ..., line L, in NAME" per frame.
gdb, tid = {}, None
for line in open(sys.argv[3], errors="replace"):
    m = re.search(r"\(LWP (\d+)\)", line)
    if m:
        tid = m.group(1); gdb[tid] = []
        continue
    m = re.search(r'File "([^"]+)", line (\d+), in (\S+)', line)
    if m and tid:
        gdb[tid].append((m.group(3), m.group(1), int(m.group(2))))
gdb_agree = sum(1 for tid, frames in dump.items()
                if [(f["function"].rsplit(".", 1)[-1], f["file"], f["line"]) for f in frames] == gdb.get(tid))
print()
print(f"Python frames equal to the program's own sys._current_frames(): ukstack {agree} of {len(dump)} "
      f"threads; gdb py-bt {gdb_agree} of {len(dump)} (names without their class: py-bt prints co_name).")
PY
