#!/usr/bin/env bash
# Builds the `fuzz` preset (clang, libFuzzer, ASan+UBSan) and runs every fuzz target
# for SECONDS (default 60) each, on a seed corpus assembled in a temporary directory
# from fixtures/procfs/ (by file-name prefix), the generated seeds (ukstack_fuzz_seeds)
# and tests/fuzz/regressions/<target>/. Prints executions, exec/s and crashes per
# target; exits 1 if any target crashed (its inputs and logs are kept and named).
#
#   tests/fuzz/run_fuzzers.sh [SECONDS]
#
# Environment: UKSTACK_FUZZ_JOBS   targets run side by side (default: nproc)
#              UKSTACK_FUZZ_ONLY   space-separated subset of targets
#              UKSTACK_FUZZ_KEEP=1 keep the temporary directory even when all pass
set -euo pipefail

seconds="${1:-60}"
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "usage: $0 [SECONDS]" >&2; exit 64; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

command -v clang++ >/dev/null || { echo "run_fuzzers: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" >/dev/null ||
  { echo "run_fuzzers: building the fuzz preset failed: cmake --build --preset fuzz" >&2; exit 1; }

bin="$root/build-fuzz/tests/fuzz"
work="$(mktemp -d "${TMPDIR:-/tmp}/ukstack-fuzz.XXXXXX")"
"$bin/ukstack_fuzz_seeds" "$work/generated" >/dev/null

# "name prefix" lines, from the one list the fuzz executables use.
names=()
declare -A prefix_of=()
while read -r name prefix; do
  if [[ -n "${UKSTACK_FUZZ_ONLY:-}" && " $UKSTACK_FUZZ_ONLY " != *" $name "* ]]; then continue; fi
  names+=("$name")
  prefix_of[$name]="${prefix:-}"
done < <("$bin/ukstack_fuzz_seeds" --list)
((${#names[@]})) || { echo "run_fuzzers: no target selected" >&2; exit 64; }

# Sanitizers: stop at the first report, with a stack; leak checking stays on.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

run_target() {
  local name="$1" dir="$work/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  local prefix="${prefix_of[$name]}"
  if [[ -n "$prefix" ]]; then
    find fixtures/procfs -maxdepth 1 -type f -name "${prefix}*" -exec cp -t "$dir/corpus" {} +
  fi
  for extra in "$work/generated/$name" "tests/fuzz/regressions/$name"; do
    [[ -d "$extra" ]] && find "$extra" -maxdepth 1 -type f -exec cp -t "$dir/corpus" {} +
  done
  local options=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10
                 -rss_limit_mb=2048 -artifact_prefix="$dir/artifacts/")
  [[ -f "tests/fuzz/dicts/$name.dict" ]] && options+=(-dict="tests/fuzz/dicts/$name.dict")
  local rc=0
  "$bin/ukstack_fuzz_$name" "${options[@]}" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
  echo "$rc" >"$dir/rc"
}

jobs="${UKSTACK_FUZZ_JOBS:-$(nproc)}"
echo "run_fuzzers: ${#names[@]} targets, ${seconds} s each, $jobs at a time, in $work"
running=0
for name in "${names[@]}"; do
  if ((running >= jobs)); then wait -n || true; running=$((running - 1)); fi
  run_target "$name" &
  running=$((running + 1))
done
wait

failed=0
printf '%-16s %12s %10s %8s %8s\n' target executions exec/s corpus crashes
for name in "${names[@]}"; do
  dir="$work/$name"
  rc="$(cat "$dir/rc" 2>/dev/null || echo 1)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)"
  units="$(find "$dir/corpus" -maxdepth 1 -type f | wc -l)"
  crashes="$(find "$dir/artifacts" -maxdepth 1 -type f \
               \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)"
  # A non-zero exit without an artifact (e.g. the target died at start-up) is a crash too.
  if [[ "$rc" != 0 && "$crashes" == 0 ]]; then crashes=1; fi
  printf '%-16s %12s %10s %8s %8s\n' "$name" "${execs:-?}" "${rate:-?}" "$units" "$crashes"
  if ((crashes)); then failed=1; fi
done

if ((failed)); then
  echo
  for name in "${names[@]}"; do
    dir="$work/$name"
    [[ "$(cat "$dir/rc" 2>/dev/null || echo 1)" == 0 ]] && continue
    echo "== $name failed (exit $(cat "$dir/rc" 2>/dev/null || echo '?')); log: $dir/log"
    grep -m1 -E 'ERROR: |runtime error: |fuzz invariant broken|deadly signal' "$dir/log" || true
    for artifact in "$dir"/artifacts/*; do
      [[ -f "$artifact" ]] || continue
      echo "   input: $artifact"
      echo "   replay: $bin/ukstack_fuzz_$name $artifact"
    done
  done
  echo "run_fuzzers: FAILED; inputs and logs kept in $work" >&2
  exit 1
fi
if [[ "${UKSTACK_FUZZ_KEEP:-0}" == 1 ]]; then
  echo "run_fuzzers: all targets clean; kept $work"
else
  rm -rf "$work"
  echo "run_fuzzers: all targets clean"
fi
echo "fuzz: ${#names[@]} passed, 0 failed"
