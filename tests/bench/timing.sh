# Shared by the benchmark scripts that time whole commands (run_shipping_bench.sh,
# run_python_bench.sh): sourced after the script has set BENCH (its name, for
# messages), TMP_PREFIX and REPS. Makes $TMP (removed at exit, with every process
# `start` started), and gives:
#   start PROGRAM ARGS...   runs it, waits for its "ready" line; sets STARTED
#   end PID                 SIGKILL and reap
#   measure COMMAND-LINE    "ms mb": wall milliseconds and peak RSS of one run
#   median, ratio A B       of numbers on stdin; A / B to two places ("-" for B 0)
#   time_all NAME=COMMAND-LINE ...   each REPS times, interleaved: MS[NAME], MB[NAME]
TMP="$(mktemp -d "/tmp/$TMP_PREFIX.XXXXXX")"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Starts a program, waits for its "ready" line; sets STARTED to its pid.
start() {
  local log="$TMP/start.log"
  : >"$log"
  "$@" >"$log" 2>&1 </dev/null &
  STARTED=$!
  PIDS+=("$STARTED")
  local i
  for ((i = 0; i < 1200; ++i)); do
    grep -q '^ready' "$log" && return 0
    kill -0 "$STARTED" 2>/dev/null || break
    sleep 0.1
  done
  echo "$BENCH: $* did not start: $(head -c 300 "$log")" >&2
  exit 2
}
end() { kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# Wall milliseconds and peak RSS (MB) of one run of a shell command line.
measure() {  # command-line -> "ms mb"
  local start end
  start=$(date +%s%N)
  /usr/bin/time -o "$TMP/rss" -f '%M' bash -c "$1" >/dev/null 2>"$TMP/err"
  end=$(date +%s%N)
  awk -v ns=$((end - start)) -v kb="$(tail -1 "$TMP/rss")" 'BEGIN { printf "%.1f %.1f", ns / 1e6, kb / 1024 }'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
# Times every named command line REPS times, interleaved; sets MS[name], MB[name].
declare -A MS MB
time_all() {  # name=command-line ...
  declare -A ms mb
  local rep entry name result
  for ((rep = 0; rep < REPS; ++rep)); do
    for entry in "$@"; do
      name="${entry%%=*}"
      result=$(measure "${entry#*=}")
      ms[$name]+=" ${result% *}"
      mb[$name]+=" ${result#* }"
    done
  done
  for entry in "$@"; do
    name="${entry%%=*}"
    MS[$name]=$(median <<<"${ms[$name]}")
    MB[$name]=$(median <<<"${mb[$name]}")
  done
}

