#!/usr/bin/env bash
# ukstack vs eu-stack vs gdb vs the floor, on one many-threaded target, interleaved.
#
#   tests/bench/run_bench.sh [--quick] [--reps R] [--ns "1 10 100"] [--build-dir DIR]
#                            [--no-gdb] [--no-pauses] [--no-go]
#
# From a fresh clone, after ./setup.sh build. Needs root (ptrace, /proc/<tid>/stack).
# For N = 1, 10, 100, 1000, 10000 threads (--quick: up to 1000, fewer repetitions) it
# starts tests/bench/many_threads blocked forever and times, in one interleaved loop,
# every tool on that same target: wall time (median, min-max), peak RSS, and - through
# an LD_PRELOAD shim around ptrace() - how long each tool held one thread and the
# whole process. A second pass restarts the target in ticking mode (threads wake
# every tick and record how late they woke) and runs each tool again: the pause as
# the target itself saw it. Then, on 1,000 threads, many captures through one session
# (issue 9), and the answer of issue 10 (`ukstack PID`: summary, groups, waits) against
# a plain capture, `--samples 5`, eu-stack and gdb, on the bench target and on
# fixtures/thread_pool 1000 3. Then goroutines (issue 11, --no-go to skip): `ukstack PID`
# and `--format json` against `dlv attach` + `goroutines` (and + `goroutines -t`) on
# fixtures/go_goroutines 10000, and whether each stopped the target. Then one thread
# (issue 12): `ukstack PID` against `eu-stack -p` and `eu-stack -p -s -i` on
# fixtures/thread_pool 0 and `sleep infinity`. Prints Markdown tables, the ratios
# issues 5, 11 and 12 ask for and which goals hold. Exit status 0 whatever the figures
# are (a measurement, not a test); 2 if it could not run at all.
#
# Environment: UKSTACK=path overrides the ukstack binary (default BUILD/src/ukstack).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BENCH_SRC="$ROOT/tests/bench"
BUILD="$ROOT/build"
QUICK=0
REPS=""
NS=""
WITH_GDB=1
WITH_PAUSES=1
WITH_GO=1
ARGS="$*"  # for the "Reproduce:" line

while (($#)); do
  case "$1" in
    --quick) QUICK=1 ;;
    --reps) REPS="$2"; shift ;;
    --ns) NS="$2"; shift ;;
    --build-dir) BUILD="$2"; shift ;;
    --no-gdb) WITH_GDB=0 ;;
    --no-pauses) WITH_PAUSES=0 ;;
    --no-go) WITH_GO=0 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "run_bench: unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done
if ((QUICK)); then
  : "${NS:=1 10 100 1000}"; : "${REPS:=3}"
else
  : "${NS:=1 10 100 1000 10000}"; : "${REPS:=7}"
fi

if ((EUID != 0)); then
  echo "run_bench: needs root (ptrace every thread, read /proc/<tid>/stack)" >&2
  exit 2
fi

# ---- every process we start is killed on every path --------------------------
TMP="$(mktemp -d /tmp/ukstack-bench.XXXXXX)"
TARGET_PIDS=()
cleanup() {
  local pid
  for pid in "${TARGET_PIDS[@]}"; do
    kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  exec 7>&-
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

log() { echo "run_bench: $*" >&2; }

# ---- packages ------------------------------------------------------------------
need=()
for pair in time:/usr/bin/time elfutils:/usr/bin/eu-stack gdb:/usr/bin/gdb python3:/usr/bin/python3; do
  [[ -x "${pair#*:}" ]] || need+=("${pair%%:*}")
done
command -v timeout >/dev/null || need+=(coreutils)
if ((${#need[@]})); then
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
    log "could not install ${need[*]}: the rows that need them will say so"
fi

# ---- build ----------------------------------------------------------------------
BIN="$BUILD/tests/bench"
if [[ -f "$BUILD/CMakeCache.txt" ]] &&
   cmake --build "$BUILD" -j "$(nproc)" --target ukstack bench_many_threads bench_floor bench_ptrace_clock bench_session \
     >"$TMP/build.log" 2>&1; then
  :
else
  # No configured build, or the tree does not build right now: build the bench
  # programs by hand (ukstack itself must then already exist).
  log "cmake build failed or not configured (see below); building the bench programs with gcc"
  tail -5 "$TMP/build.log" >&2 2>/dev/null
  BIN="$TMP/bin"; mkdir -p "$BIN"
  gcc -O1 -g -fomit-frame-pointer -pthread "$BENCH_SRC/many_threads.c" -o "$BIN/many_threads" &&
    g++ -O2 -std=c++20 "$BENCH_SRC/floor.cpp" -o "$BIN/floor" &&
    gcc -O2 -fPIC -shared "$BENCH_SRC/ptrace_clock.c" -o "$BIN/libptrace_clock.so" -ldl ||
    { log "cannot build the bench programs"; exit 2; }
fi
UKSTACK="${UKSTACK:-$BUILD/src/ukstack}"
TARGET="$BIN/many_threads"
FLOOR="$BIN/floor"
SHIM="$BIN/libptrace_clock.so"
for f in "$UKSTACK" "$TARGET" "$FLOOR" "$SHIM"; do
  [[ -e "$f" ]] || { log "missing $f (run ./setup.sh build first)"; exit 2; }
done

# ---- limits for 10,000 threads ----------------------------------------------------
ulimit -u unlimited 2>/dev/null || ulimit -u 200000 2>/dev/null || true
ulimit -n 65536 2>/dev/null || true
max_n=0; for n in $NS; do ((n > max_n)) && max_n=$n; done
for knob in kernel/pid_max kernel/threads-max; do
  value=$(cat /proc/sys/$knob 2>/dev/null || echo 0)
  ((value < max_n + 20000)) && { echo $((max_n + 20000)) >/proc/sys/$knob; } 2>/dev/null
done
maps=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 65530)
((maps < 4 * max_n + 1000)) && { echo $((4 * max_n + 1000)) >/proc/sys/vm/max_map_count; } 2>/dev/null

# ---- the tools ----------------------------------------------------------------------
# The help read whole first: grep -q would end the pipe early (SIGPIPE, pipefail).
HELP=$("$UKSTACK" --help 2>/dev/null || true)
HAS_STOP=0
[[ $HELP == *--stop* ]] && HAS_STOP=1
HAS_ENGINE=0
[[ $HELP == *--engine* ]] && HAS_ENGINE=1
TOOLS=(launch uk_each uk_all uk_auto uk_procfs uk_default uk_json eu eu_si gdb floor_each floor_all)
declare -A LABEL=(
  [launch]='(launch overhead: /bin/true)'
  [uk_each]='ukstack --stop each' [uk_all]='ukstack --stop all' [uk_auto]='ukstack --stop auto'
  [uk_procfs]='ukstack --engine procfs'
  [uk_default]='ukstack PID (default mode)' [uk_json]='ukstack --format json'
  [eu]='eu-stack -p' [eu_si]='eu-stack -p -s -i' [gdb]="gdb -batch -ex 'thread apply all bt'"
  [floor_each]='floor, one thread at a time' [floor_all]='floor, all stopped at once')
tool_cmd() {  # tool pid -> command words
  case "$1" in
    launch) echo "true" ;;
    uk_each) echo "$UKSTACK --stop each $2" ;;
    uk_all) echo "$UKSTACK --stop all $2" ;;
    uk_auto) echo "$UKSTACK --stop auto $2" ;;
    uk_procfs) echo "$UKSTACK --engine procfs $2" ;;
    uk_default) echo "$UKSTACK $2" ;;
    uk_json) echo "$UKSTACK --format json $2" ;;
    eu) echo "eu-stack -p $2" ;;
    eu_si) echo "eu-stack -p $2 -s -i" ;;
    gdb) echo "gdb -nx -batch -p $2 -ex set\ pagination\ off -ex thread\ apply\ all\ bt" ;;
    floor_each) echo "$FLOOR $2 --mode each" ;;
    floor_all) echo "$FLOOR $2 --mode all" ;;
  esac
}
tool_available() {
  case "$1" in
    uk_each|uk_all|uk_auto) ((HAS_STOP)) ;;
    uk_procfs) ((HAS_ENGINE)) ;;
    eu|eu_si) command -v eu-stack >/dev/null ;;
    gdb) ((WITH_GDB)) && command -v gdb >/dev/null ;;
    *) true ;;
  esac
}
reps_for() {  # tool n -> repetitions
  local r=$REPS
  ((QUICK == 0 && $2 >= 10000)) && r=3
  if [[ $1 == gdb ]]; then
    (($2 >= 1000 && r > 3)) && r=3
    (($2 >= 10000)) && r=1
  fi
  echo "$r"
}

# ---- the target ----------------------------------------------------------------------
start_target() {  # n mode tick_ms stdin -> sets TPID
  local n=$1 mode=$2 tick=$3 input=$4 out="$TMP/target.$1.$2.log"
  : >"$out"  # a target started again must not be found ready by its predecessor's log
  "$TARGET" "$n" --mode "$mode" --tick-ms "$tick" <"$input" >"$out" 2>&1 &
  TPID=$!
  TARGET_PIDS+=("$TPID")
  if [[ $input != /dev/null ]]; then exec 7>"$input"; fi
  local i
  for ((i = 0; i < 1800; ++i)); do
    grep -q '^ready' "$out" 2>/dev/null && return 0
    kill -0 "$TPID" 2>/dev/null || break
    sleep 0.1
  done
  log "target with $n threads did not start: $(head -c 300 "$out")"
  return 1
}
stop_target() {
  exec 7>&-
  kill -KILL "$TPID" 2>/dev/null
  wait "$TPID" 2>/dev/null
}
# A tool that was killed may leave the target stopped (gdb, eu-stack use PTRACE_ATTACH).
ensure_running() {
  local state
  state=$(awk '{print $3}' "/proc/$TPID/stat" 2>/dev/null)
  if [[ $state == T || $state == t ]]; then
    log "target left stopped after $1; sending SIGCONT"
    kill -CONT "$TPID"
    NOTES+=("target was left stopped after $1 (N=$2); continued")
  fi
}

# ---- results ------------------------------------------------------------------------------
declare -A WALL RSS STOPS MAXSTOP HOLD RCS PAUSE EINTR
NOTES=()

json_threads() {  # snapshot.json -> how many threads it lists
  python3 -c 'import json, sys; print(len(json.load(sys.stdin)["threads"]))' <"$1" 2>/dev/null
}
run_tool() {  # tool n rep -> appends to the result arrays
  local tool=$1 n=$2 rep=$3 cmd limit=600 start end rc
  cmd=$(tool_cmd "$tool" "$TPID")
  : >"$TMP/ptrace.log"
  start=$EPOCHREALTIME
  PTRACE_CLOCK_LOG="$TMP/ptrace.log" PTRACE_CLOCK_PID="$TPID" LD_PRELOAD="$SHIM" \
    /usr/bin/time -f %M -o "$TMP/rss" timeout -k 10 "$limit" \
    bash -c "exec $cmd" >"$TMP/out.$tool" 2>"$TMP/err.$tool"
  rc=$?
  end=$EPOCHREALTIME
  ensure_running "$tool" "$n"
  local key="$n|$tool" wall_ms line
  wall_ms=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", (b - a) * 1000 }')
  WALL[$key]+="$wall_ms "
  RSS[$key]+="$(tail -1 "$TMP/rss" 2>/dev/null | tr -dc 0-9) "
  RCS[$key]+="$rc "
  line=$(grep '^ptrace_clock' "$TMP/ptrace.log" | tail -1)
  STOPS[$key]+="$(sed -n 's/.* stops=\([0-9]*\).*/\1/p' <<<"$line" | grep . || echo 0) "
  MAXSTOP[$key]+="$(sed -n 's/.* max_stop_us=\([0-9.]*\).*/\1/p' <<<"$line" | grep . || echo 0) "
  HOLD[$key]+="$(sed -n 's/.* whole_stop_us=\([0-9.-]*\).*/\1/p' <<<"$line" | grep . || echo 0) "
  if ((rep == 1)) && [[ $tool != launch ]]; then  # sanity: did it see every thread?
    local seen=""
    case "$tool" in
      # Threads, not '"tid":' (schema /2 names holders' tids in waits_for too).
      uk_json) seen=$(json_threads "$TMP/out.$tool") ;;
      # Text: one "Thread " block per thread, or one "N threads TIDS:" block per group.
      uk_*) seen=$(awk '/^Thread / { n++ } /^[0-9]+ threads [0-9,-]+: / { n += $1 } END { print n + 0 }' "$TMP/out.$tool") ;;
      eu|eu_si) seen=$(grep -c '^TID ' "$TMP/out.$tool") ;;
      gdb) seen=$(grep -c '^Thread ' "$TMP/out.$tool") ;;
      floor_*) seen=$(sed -n 's/.* threads=\([0-9]*\).*/\1/p' "$TMP/out.$tool") ;;
    esac
    if [[ "$seen" != "$((n + 1))" ]]; then
      NOTES+=("N=$n ${LABEL[$tool]}: saw ${seen:-?} threads of $((n + 1)) (exit $rc): $(head -c 200 "$TMP/err.$tool" | tr '\n' ' ')")
    fi
  fi
  ((rc >= 124)) && NOTES+=("N=$n ${LABEL[$tool]}: timed out or killed (exit $rc)")
}

stats() {  # "values" -> "median min max" (numbers)
  tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '
    { v[NR] = $1 } END {
      if (NR == 0) { print "- - -"; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      print m, v[1], v[NR] }'
}
median() { stats "$1" | awk '{print $1}'; }
fmt_ms() { awk -v x="$1" 'BEGIN { if (x == "-") print "-"; else if (x >= 100) printf "%.0f", x; else if (x >= 10) printf "%.1f", x; else printf "%.2f", x }'; }
fmt_us() { awk -v x="$1" 'BEGIN { if (x == "-" || x == "") print "-"; else if (x >= 10000) printf "%.0f ms", x / 1000; else if (x >= 1000) printf "%.1f ms", x / 1000; else printf "%.0f µs", x }'; }

# ---- pass 1: timings, target blocked forever ----------------------------------------------
log "ukstack: $UKSTACK ($( ((HAS_STOP)) && echo "has --stop" || echo "no --stop yet: stop-mode rows are n/a"))"
for n in $NS; do
  start_target "$n" blocked 10 /dev/null || { NOTES+=("N=$n: target did not start"); continue; }
  log "N=$n: target $TPID ready; timing"
  max_reps=0
  for tool in "${TOOLS[@]}"; do r=$(reps_for "$tool" "$n"); ((r > max_reps)) && max_reps=$r; done
  for ((rep = 1; rep <= max_reps; ++rep)); do
    count=${#TOOLS[@]}
    for ((i = 0; i < count; ++i)); do  # rotate the order each repetition
      tool=${TOOLS[$(((i + rep - 1) % count))]}
      tool_available "$tool" || continue
      ((rep <= $(reps_for "$tool" "$n"))) || continue
      run_tool "$tool" "$n" "$rep"
    done
  done
  stop_target
done

# ---- pass 2: pauses seen from inside, target ticking -------------------------------------------
report_line() {  # -> the next "report" line of the ticking target
  local out="$TMP/target.$1.ticking.log" before after i
  before=$(grep -c '^report' "$out")
  echo report >&7
  for ((i = 0; i < 200; ++i)); do
    after=$(grep -c '^report' "$out")
    ((after > before)) && { grep '^report' "$out" | tail -1; return; }
    sleep 0.05
  done
}
if ((WITH_PAUSES)); then
  for n in $NS; do
    tick=$((n / 10)); ((tick < 10)) && tick=10
    rm -f "$TMP/ctl"; mkfifo "$TMP/ctl"
    start_target "$n" ticking "$tick" "$TMP/ctl" || continue
    log "N=$n: ticking target $TPID (every $tick ms); measuring pauses"
    pause_reps=3; ((QUICK)) && pause_reps=2; ((n >= 10000)) && pause_reps=1
    wait_s=$(awk -v t="$tick" 'BEGIN { printf "%.3f", 2 * t / 1000 + 0.05 }')
    for ((rep = 1; rep <= pause_reps; ++rep)); do
      for tool in none "${TOOLS[@]}"; do
        [[ $tool == none ]] || tool_available "$tool" || continue
        [[ $tool == gdb && $n -ge 10000 ]] && continue
        [[ $tool == launch ]] && continue
        echo reset >&7
        if [[ $tool == none ]]; then
          sleep 0.3
        else
          timeout -k 10 600 bash -c "exec $(tool_cmd "$tool" "$TPID")" >/dev/null 2>&1
          ensure_running "$tool (ticking)" "$n"
        fi
        sleep "$wait_s"
        line=$(report_line "$n")
        PAUSE["$n|$tool"]+="$(sed -n 's/.*max_late_us=\([0-9]*\).*/\1/p' <<<"$line") "
        EINTR["$n|$tool"]+="$(sed -n 's/.* eintr=\([0-9]*\).*/\1/p' <<<"$line") "
      done
    done
    stop_target
  done
fi

# ---- many captures through one session (issue 9) --------------------------------------------
# The first capture opens the session (modules reported, ELF/DWARF opened, caches
# cold); the ones after it reuse all of that. Medians over R sessions, on the
# 1,000-thread target.
declare -A FIRST SECOND
SESSION_BENCH="$BIN/session_bench"
SESSION_N=1000
if [[ -x "$SESSION_BENCH" ]] && [[ " $NS " == *" $SESSION_N "* ]]; then
  if start_target "$SESSION_N" blocked 10 /dev/null; then
    log "N=$SESSION_N: many captures through one session"
    for ((rep = 1; rep <= REPS; ++rep)); do
      for mode in auto each all; do
        out=$("$SESSION_BENCH" "$TPID" 3 "$mode" 2>"$TMP/err.session") ||
          { NOTES+=("session_bench $mode: $(head -c 200 "$TMP/err.session")"); continue; }
        FIRST[$mode]+="$(awk '/^capture 1:/ {print $3}' <<<"$out") "
        SECOND[$mode]+="$(awk '/^capture 2:/ {print $3}' <<<"$out") "
      done
      ensure_running session_bench "$SESSION_N"
    done
    stop_target
  fi
else
  NOTES+=("session_bench not built or N=$SESSION_N not run: no second-capture figures")
fi

# ---- why is it stuck (issue 10) ---------------------------------------------------------------
# The answer (`ukstack PID`: summary, groups, who waits for whom) against a plain
# capture of the same process (`--no-group --format json`), `--samples 5` (default
# interval), eu-stack -p and gdb, interleaved, on two 1,000-thread targets: the
# bench target, and fixtures/thread_pool 1000 3 (three kinds of waits: a pipe read,
# a condition variable, a sleep). Wall and peak RSS only (no ptrace shim).
declare -A I10_WALL I10_RSS
I10_N=1000
I10_TOOLS=(summary plain plain_text samples eu gdb)
declare -A I10_LABEL=(
  [summary]='`ukstack PID` (summary, groups, waits)'
  [plain]='`ukstack --no-group --format json PID`'
  [plain_text]='`ukstack --no-group PID` (every thread, text)'
  [samples]='`ukstack --samples 5 PID`'
  [eu]='`eu-stack -p PID`'
  [gdb]="\`gdb -p PID -batch -ex 'thread apply all bt'\`")
I10_TARGETS=()
i10_cmd() {  # tool pid -> command words
  case "$1" in
    summary) echo "$UKSTACK $2" ;;
    plain) echo "$UKSTACK --no-group --format json $2" ;;
    plain_text) echo "$UKSTACK --no-group $2" ;;
    samples) echo "$UKSTACK --samples 5 $2" ;;
    eu) echo "eu-stack -p $2" ;;
    gdb) echo "gdb -nx -batch -p $2 -ex set\ pagination\ off -ex thread\ apply\ all\ bt" ;;
  esac
}
i10_available() {
  case "$1" in
    eu) command -v eu-stack >/dev/null ;;
    gdb) ((WITH_GDB)) && command -v gdb >/dev/null ;;
    *) true ;;
  esac
}
i10_run() {  # target tool pid rep
  local key="$1|$2" start end rc seen=""
  start=$EPOCHREALTIME
  /usr/bin/time -f %M -o "$TMP/rss" timeout -k 10 600 bash -c "exec $(i10_cmd "$2" "$3")" \
    >"$TMP/out.i10" 2>"$TMP/err.i10"
  rc=$?
  end=$EPOCHREALTIME
  ensure_running "$2 ($1)" "$I10_N"
  I10_WALL[$key]+="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", (b - a) * 1000 }') "
  I10_RSS[$key]+="$(tail -1 "$TMP/rss" 2>/dev/null | tr -dc 0-9) "
  ((rc == 0)) || NOTES+=("issue 10, $1, ${I10_LABEL[$2]}: exit $rc: $(head -c 200 "$TMP/err.i10" | tr '\n' ' ')")
  if (($4 == 1)); then  # sanity: did it see every thread?
    case "$2" in
      summary|samples) seen=$(sed -n 's/^Summary: \([0-9]*\) threads.*/\1/p' "$TMP/out.i10" | head -1) ;;
      eu) seen=$(grep -c '^TID ' "$TMP/out.i10") ;;
      gdb) seen=$(grep -c '^Thread ' "$TMP/out.i10") ;;
      plain) seen=$(json_threads "$TMP/out.i10") ;;
      plain_text) seen=$(grep -c '^Thread ' "$TMP/out.i10") ;;
    esac
    [[ "$seen" == "$((I10_N + 1))" ]] ||
      NOTES+=("issue 10, $1, ${I10_LABEL[$2]}: saw ${seen:-?} threads of $((I10_N + 1))")
  fi
}
i10_measure() {  # target-label -> runs every tool R times, interleaved, on $TPID
  local rep i tool count=${#I10_TOOLS[@]}
  I10_TARGETS+=("$1")
  for ((rep = 1; rep <= REPS; ++rep)); do
    for ((i = 0; i < count; ++i)); do  # rotate the order each repetition
      tool=${I10_TOOLS[$(((i + rep - 1) % count))]}
      i10_available "$tool" || continue
      [[ $tool == gdb ]] && ((rep > 3)) && continue
      i10_run "$1" "$tool" "$TPID" "$rep"
    done
  done
}
if [[ " $NS " == *" $I10_N "* ]]; then
  if start_target "$I10_N" blocked 10 /dev/null; then
    log "N=$I10_N: issue 10, many_threads"
    i10_measure "many_threads $I10_N"
    stop_target
  fi
  POOL="$BUILD/fixtures/thread_pool"
  if [[ -x "$POOL" ]] || cmake --build "$BUILD" --target thread_pool >>"$TMP/build.log" 2>&1; then
    "$POOL" "$I10_N" 3 >"$TMP/pool.log" 2>&1 &
    TPID=$!
    TARGET_PIDS+=("$TPID")
    for ((i = 0; i < 1800; ++i)); do
      grep -q '^ready' "$TMP/pool.log" 2>/dev/null && break
      kill -0 "$TPID" 2>/dev/null || break
      sleep 0.1
    done
    if grep -q '^ready' "$TMP/pool.log"; then
      log "N=$I10_N: issue 10, thread_pool $I10_N 3"
      i10_measure "thread_pool $I10_N 3"
    else
      NOTES+=("thread_pool did not start: $(head -c 200 "$TMP/pool.log")")
    fi
    stop_target
  else
    NOTES+=("no $POOL: issue-10 figures on many_threads only")
  fi
else
  NOTES+=("N=$I10_N not run: no issue-10 figures")
fi

# ---- goroutines (issue 11) ----------------------------------------------------------------------
# fixtures/go_goroutines 10000: 10,000 goroutines parked (channel, sync.Mutex, sleep), one
# spinning, one in a cgo read. `ukstack PID` and `ukstack --format json PID` against delve
# attaching, listing the goroutines (`goroutines`: the issue's yardstick; `goroutines -t 100`:
# every goroutine's stack too, what ukstack shows) and detaching (`exit`, then "n" to "kill
# the process?"), interleaved; delve at most 3 runs (2 with --quick), each some seconds.
# Stops: ukstack's ptrace calls are counted by the shim. delve's are Go's raw system calls,
# which no LD_PRELOAD shim sees: it stops every thread by design (PTRACE_ATTACH). One more,
# untimed run of each tool beside a /proc sampler (a bash loop reading every thread's state
# until the tool ends) shows from outside whether a thread of the target was seen stopped.
declare -A I11_WALL I11_RSS I11_STOPS I11_MAXSTOP I11_LISTED I11_SEEN
I11_N=10000
I11_TOOLS=(dlv_list dlv_stacks uk_text uk_json)
declare -A I11_LABEL=(
  [dlv_list]='`dlv attach PID` + `goroutines` + detach'
  [dlv_stacks]='`dlv attach PID` + `goroutines -t 100` + detach'
  [uk_text]='`ukstack PID`'
  [uk_json]='`ukstack --format json PID`')
I11_RAN=0
i11_cmd() {  # tool pid -> command words
  case "$1" in
    dlv_list) echo "dlv attach $2 --allow-non-terminal-interactive=true <$TMP/dlv.list" ;;
    dlv_stacks) echo "dlv attach $2 --allow-non-terminal-interactive=true <$TMP/dlv.stacks" ;;
    uk_text) echo "$UKSTACK $2" ;;
    uk_json) echo "$UKSTACK --format json $2" ;;
  esac
}
i11_listed() {  # tool output -> how many goroutines it listed ("-" when it lists none)
  case "$1" in
    dlv_*) sed -n 's/^\[\([0-9]*\) goroutines\]$/\1/p' "$2" | tail -1 | grep . || echo "?" ;;
    uk_json) python3 -c 'import json, sys; s = json.load(sys.stdin); print(len(s["goroutines"]) if "goroutines" in s else "-")' <"$2" 2>/dev/null || echo "?" ;;
    *) echo "-" ;;
  esac
}
i11_run() {  # tool rep
  local start end rc line key=$1
  : >"$TMP/ptrace.log"
  start=$EPOCHREALTIME
  PTRACE_CLOCK_LOG="$TMP/ptrace.log" PTRACE_CLOCK_PID="$TPID" LD_PRELOAD="$SHIM" \
    /usr/bin/time -f %M -o "$TMP/rss" timeout -k 10 600 bash -c "exec $(i11_cmd "$1" "$TPID")" \
    >"$TMP/out.i11" 2>"$TMP/err.i11"
  rc=$?
  end=$EPOCHREALTIME
  ensure_running "${I11_LABEL[$1]}" "$I11_N"
  I11_WALL[$key]+="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", (b - a) * 1000 }') "
  I11_RSS[$key]+="$(tail -1 "$TMP/rss" 2>/dev/null | tr -dc 0-9) "
  line=$(grep '^ptrace_clock' "$TMP/ptrace.log" | tail -1)
  I11_STOPS[$key]+="$(sed -n 's/.* stops=\([0-9]*\).*/\1/p' <<<"$line" | grep . || echo 0) "
  I11_MAXSTOP[$key]+="$(sed -n 's/.* max_stop_us=\([0-9.]*\).*/\1/p' <<<"$line" | grep . || echo 0) "
  # ukstack exits 1 when some half of some thread is missing or cut short (README).
  ((rc <= 1)) || NOTES+=("issue 11, ${I11_LABEL[$1]}: exit $rc: $(head -c 200 "$TMP/err.i11" | tr '\n' ' ')")
  (($2 == 1)) && I11_LISTED[$key]=$(i11_listed "$1" "$TMP/out.i11")
}
# Samples every thread's state until $TMP/i11.sampling is removed; prints "SEEN TOTAL".
i11_sampler() {
  local seen=0 total=0 stat state
  while [[ -e $TMP/i11.sampling ]]; do
    ((++total))
    for stat in /proc/"$1"/task/*/stat; do
      read -r _ _ state _ <"$stat" 2>/dev/null || continue
      if [[ $state == t || $state == T ]]; then ((++seen)); break; fi
    done
  done
  echo "$seen $total"
}
i11_disturbance() {  # tool -> I11_SEEN: samples that saw a stopped thread, of all samples
  : >"$TMP/i11.sampling"
  i11_sampler "$TPID" >"$TMP/i11.seen" &
  local sampler=$!
  timeout -k 10 600 bash -c "exec $(i11_cmd "$1" "$TPID")" >/dev/null 2>&1
  rm -f "$TMP/i11.sampling"
  wait "$sampler"
  ensure_running "${I11_LABEL[$1]} (sampled)" "$I11_N"
  read -r seen total <"$TMP/i11.seen"
  I11_SEEN[$1]="$seen of $total"
}
GO_FIXTURE="$BUILD/fixtures/go_goroutines"
if ((WITH_GO)); then
  if [[ -f "$BUILD/CMakeCache.txt" ]]; then
    cmake --build "$BUILD" --target go_goroutines >>"$TMP/build.log" 2>&1 || true
  fi
  if [[ ! -x "$GO_FIXTURE" ]]; then
    NOTES+=("no $GO_FIXTURE (go not found when configuring, or it did not build): no issue-11 figures")
  else
    command -v dlv >/dev/null ||
      NOTES+=("dlv not installed (Debian package delve): issue 11 without delve's rows and the ratio")
    printf 'goroutines\nexit\nn\n' >"$TMP/dlv.list"
    printf 'goroutines -t 100\nexit\nn\n' >"$TMP/dlv.stacks"
    "$GO_FIXTURE" "$I11_N" >"$TMP/go.log" 2>&1 &
    TPID=$!
    TARGET_PIDS+=("$TPID")
    for ((i = 0; i < 1800; ++i)); do
      grep -q '^ready' "$TMP/go.log" 2>/dev/null && break
      kill -0 "$TPID" 2>/dev/null || break
      sleep 0.1
    done
    if grep -q '^ready' "$TMP/go.log"; then
      log "issue 11: go_goroutines $I11_N (pid $TPID), ukstack against delve"
      I11_RAN=1
      dlv_reps=3; ((QUICK)) && dlv_reps=2
      count=${#I11_TOOLS[@]}
      for ((rep = 1; rep <= REPS; ++rep)); do
        for ((i = 0; i < count; ++i)); do  # rotate the order each repetition
          tool=${I11_TOOLS[$(((i + rep - 1) % count))]}
          if [[ $tool == dlv_* ]]; then
            command -v dlv >/dev/null && ((rep <= dlv_reps)) || continue
          fi
          i11_run "$tool" "$rep"
        done
      done
      for tool in "${I11_TOOLS[@]}"; do
        [[ $tool == dlv_* ]] && ! command -v dlv >/dev/null && continue
        i11_disturbance "$tool"
      done
    else
      NOTES+=("go_goroutines did not start: $(head -c 200 "$TMP/go.log")")
    fi
    stop_target
  fi
fi

# ---- one thread (issue 12, part 7) --------------------------------------------------------------
# A one-thread process, where start-up and opening the modules' debug info weigh most:
# `ukstack PID` against `eu-stack -p` and `eu-stack -p -s -i` (names, then source lines and
# inlines too, as ukstack shows them), interleaved, 3 x R runs (each takes milliseconds), on
# two targets: fixtures/thread_pool 0 (its one thread in pause(); with libc6-dbg every module
# has local debug info) and coreutils' `sleep infinity` (a distribution's binary with no local
# debug info: where libdw would load libdebuginfod, and its ~30 libraries, server or not).
# Wall only (no ptrace shim), without DEBUGINFOD_URLS: the local search, no network.
declare -A ONE_WALL
ONE_TOOLS=(uk eu eu_si launch)
declare -A ONE_LABEL=(
  [uk]='`ukstack PID`' [eu]='`eu-stack -p PID`' [eu_si]='`eu-stack -p PID -s -i`'
  [launch]='(launch overhead: /bin/true)')
ONE_TARGETS=()
one_cmd() {  # tool pid -> command words
  case "$1" in
    uk) echo "$UKSTACK $2" ;;
    eu) echo "eu-stack -p $2" ;;
    eu_si) echo "eu-stack -p $2 -s -i" ;;
    launch) echo "true" ;;
  esac
}
one_measure() {  # target-label -> every tool 3 x R times, interleaved, on $TPID
  local rep i tool key start end rc count=${#ONE_TOOLS[@]}
  ONE_TARGETS+=("$1")
  for ((rep = 1; rep <= 3 * REPS; ++rep)); do
    for ((i = 0; i < count; ++i)); do  # rotate the order each repetition
      tool=${ONE_TOOLS[$(((i + rep - 1) % count))]}
      [[ $tool == eu* ]] && ! command -v eu-stack >/dev/null && continue
      key="$1|$tool"
      start=$EPOCHREALTIME
      env -u DEBUGINFOD_URLS timeout -k 10 60 bash -c "exec $(one_cmd "$tool" "$TPID")" \
        >"$TMP/out.one" 2>"$TMP/err.one"
      rc=$?
      end=$EPOCHREALTIME
      ensure_running "$tool ($1)" 1
      ONE_WALL[$key]+="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", (b - a) * 1000 }') "
      ((rc == 0)) || NOTES+=("one thread, $1, ${ONE_LABEL[$tool]}: exit $rc: $(head -c 200 "$TMP/err.one" | tr '\n' ' ')")
    done
  done
}
POOL="$BUILD/fixtures/thread_pool"
if [[ -x "$POOL" ]] || cmake --build "$BUILD" --target thread_pool >>"$TMP/build.log" 2>&1; then
  "$POOL" 0 >"$TMP/pool0.log" 2>&1 &
  TPID=$!
  TARGET_PIDS+=("$TPID")
  for ((i = 0; i < 1800; ++i)); do
    grep -q '^ready' "$TMP/pool0.log" 2>/dev/null && break
    kill -0 "$TPID" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q '^ready' "$TMP/pool0.log"; then
    log "one thread: thread_pool 0 (pid $TPID)"
    one_measure "fixtures/thread_pool 0"
  else
    NOTES+=("thread_pool 0 did not start: $(head -c 200 "$TMP/pool0.log")")
  fi
  stop_target
else
  NOTES+=("no $POOL: no one-thread figures for the fixture")
fi
sleep infinity &
TPID=$!
TARGET_PIDS+=("$TPID")
sleeping() {  # pid -> whether it is sleep(1), asleep (after its exec and start-up)
  [[ $(cat "/proc/$1/comm" 2>/dev/null) == sleep && $(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) == S ]]
}
for ((i = 0; i < 100; ++i)); do
  sleeping "$TPID" && break
  sleep 0.01
done
if sleeping "$TPID"; then
  log "one thread: sleep infinity (pid $TPID)"
  one_measure "sleep infinity"
else
  NOTES+=("sleep infinity did not fall asleep: no one-thread figures for it")
fi
stop_target

# ---- the tables ---------------------------------------------------------------------------------
kernel=$(uname -r)
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
echo
echo "## ukstack benchmark — $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Machine: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $kernel;"
echo "eu-stack $(eu-stack --version 2>/dev/null | head -1 | awk '{print $NF}'), gdb $(gdb --version 2>/dev/null | head -1 | awk '{print $NF}'); ukstack $UKSTACK."
echo "Target: tests/bench/many_threads N, threads blocked in futex/pipe read/nanosleep/accept/epoll_wait, 3-5 frames, -O1 -g -fomit-frame-pointer."
echo "Wall: median (min–max) over R runs, wall clock around \`/usr/bin/time timeout TOOL\` (includes ~2 ms of launching)."
echo "Held: from the debugger's own ptrace calls (LD_PRELOAD shim): longest one-thread stop / first stop to last release."
echo "Pause (inside): the ticking target's largest wake-up lateness during the run, median over runs; EINTR = epoll waits interrupted."
echo
echo "| N | tool | wall ms, median (min–max) | R | peak RSS MB | threads stopped | longest stop of one thread | whole hold | pause seen inside | EINTR |"
echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|"
for n in $NS; do
  for tool in none "${TOOLS[@]}"; do
    key="$n|$tool"
    if [[ $tool == none ]]; then
      [[ -n "${PAUSE[$key]:-}" ]] || continue
      echo "| $n | (no tool: baseline lateness) | | | | | | | $(fmt_us "$(median "${PAUSE[$key]}")") | $(median "${EINTR[$key]}") |"
      continue
    fi
    if [[ $tool == uk_each || $tool == uk_all || $tool == uk_auto ]] && ((HAS_STOP == 0)); then
      echo "| $n | ${LABEL[$tool]} | n/a (mode not yet built) | | | | | | | |"
      continue
    fi
    [[ -n "${WALL[$key]:-}" ]] || continue
    read -r med lo hi <<<"$(stats "${WALL[$key]}")"
    reps=$(wc -w <<<"${WALL[$key]}")
    rss=$(awk -v k="$(median "${RSS[$key]}")" 'BEGIN { printf "%.1f", k / 1024 }')
    pause="-"; eintr="-"
    [[ -n "${PAUSE[$key]:-}" ]] && pause=$(fmt_us "$(median "${PAUSE[$key]}")") && eintr=$(median "${EINTR[$key]}")
    echo "| $n | ${LABEL[$tool]} | $(fmt_ms "$med") ($(fmt_ms "$lo")–$(fmt_ms "$hi")) | $reps | $rss | $(median "${STOPS[$key]}") | $(fmt_us "$(median "${MAXSTOP[$key]}")") | $(fmt_us "$(median "${HOLD[$key]}")") | $pause | $eintr |"
  done
done

# ---- ratios and goals -------------------------------------------------------------------------------
W() { median "${WALL[$1]:-}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v lim="$2" 'BEGIN { if (r == "-") print "not measured"; else if (r <= lim) print "HOLDS"; else print "MISSED" }'; }
K=1000; ((QUICK)) && K=1000
MAIN=uk_default; ((HAS_STOP)) && MAIN=uk_auto
echo
echo "### Ratios and goals (issue 5), main ukstack row: ${LABEL[$MAIN]}"
echo
echo "| goal | measured | limit | verdict |"
echo "|---|---:|---:|---|"
r=$(ratio "$(W "$K|$MAIN")" "$(W "$K|eu_si")"); echo "| 1,000 threads: ukstack / eu-stack -s -i (wall) | $r | ≤ 0.10 | $(verdict "$r" 0.10) |"
for t in uk_default uk_each uk_auto; do
  [[ -n "${WALL[$K|$t]:-}" ]] || continue
  r=$(ratio "$(W "$K|$t")" "$(W "$K|floor_each")"); echo "| 1,000 threads: ${LABEL[$t]} / floor one-at-a-time (wall) | $r | ≤ 2 | $(verdict "$r" 2) |"
done
if [[ -n "${WALL[$K|uk_all]:-}" ]]; then
  r=$(ratio "$(W "$K|uk_all")" "$(W "$K|floor_all")"); echo "| 1,000 threads: ukstack --stop all / floor all-at-once (wall) | $r | ≤ 2 | $(verdict "$r" 2) |"
fi
each_tool=uk_default; ((HAS_STOP)) && each_tool=uk_each
s=$(median "${MAXSTOP[$K|$each_tool]:-}")
echo "| 1,000 threads: longest stop of one thread, ${LABEL[$each_tool]} (µs) | $s | ≤ 100 | $(verdict "$s" 100) |"
s=$(median "${MAXSTOP[$K|floor_each]:-}"); echo "| (reference) longest stop of one thread, floor (µs) | $s | | |"
if ((HAS_STOP)); then
  r=$(ratio "$(median "${HOLD[$K|uk_all]:-}")" "$(median "${HOLD[$K|floor_all]:-}")")
  echo "| 1,000 threads: whole-process hold, --stop all / floor all | $r | ≤ 2 | $(verdict "$r" 2) |"
  s=$(median "${STOPS[$K|uk_auto]:-}"); echo "| 1,000 threads: threads stopped by --stop auto (all blocked) | $s | 0 | $(verdict "$s" 0) |"
else
  echo "| whole-process hold --stop all ≤ 2× floor; zero stops in --stop auto | n/a | | not measurable: --stop not built |"
fi
r=$(ratio "$(median "${HOLD[$K|gdb]:-}")" "$(median "${HOLD[$K|floor_all]:-}")"); echo "| (reference) gdb whole-process hold / floor all | $r | | |"
if [[ -n "${WALL[10000|$MAIN]:-}" ]]; then
  r=$(ratio "$(W "10000|$MAIN")" "$(W "$K|$MAIN")"); echo "| 10,000 / 1,000 threads (wall) | $r | < 10 | $(verdict "$r" 9.999) |"
  r=$(ratio "$(W "10000|eu_si")" "$(W "$K|eu_si")"); echo "| (reference) eu-stack -s -i 10,000 / 1,000 | $r | | |"
else
  echo "| 10,000 / 1,000 threads (wall) | - | < 10 | not measured (--quick) |"
fi
r=$(ratio "$(median "${RSS[$K|$MAIN]:-}")" "$(median "${RSS[$K|eu_si]:-}")"); echo "| 1,000 threads: peak RSS ukstack / eu-stack -s -i | $r | ≤ 1 | $(verdict "$r" 1) |"
for n in 1 10; do
  [[ -n "${WALL[$n|$MAIN]:-}" ]] || continue
  r=$(ratio "$(W "$n|$MAIN")" "$(W "$n|eu")"); echo "| $n thread(s): ukstack / eu-stack -p (wall) | $r | ≤ 1 | $(verdict "$r" 1) |"
done
if ((HAS_ENGINE)); then
  # Issue 12: the BPF engine (the default, engine auto) below the old floor, its
  # load counted in every figure.
  echo
  echo "### The BPF engine (issue 12): \`ukstack PID\` (engine auto: BPF here) against the procfs engine and the peers"
  echo
  echo "| goal | measured | limit | verdict |"
  echo "|---|---:|---:|---|"
  r=$(ratio "$(W "$K|uk_default")" "$(W "$K|eu_si")"); echo "| 1,000 threads: ukstack PID / eu-stack -p -s -i (wall) | $r | ≤ 0.05 | $(verdict "$r" 0.05) |"
  r=$(ratio "$(W "$K|uk_default")" "$(W "$K|floor_each")"); echo "| 1,000 threads: ukstack PID / the old floor (procfs reads and stops, one thread at a time) | $r | < 1 | $(verdict "$r" 0.999) |"
  r=$(ratio "$(W "$K|uk_default")" "$(W "$K|uk_procfs")"); echo "| (reference) 1,000 threads: ukstack PID / ukstack --engine procfs | $r | | |"
  s=$(median "${STOPS[$K|uk_default]:-}"); echo "| 1,000 threads: threads stopped by ukstack PID | $s | 0 | $(verdict "$s" 0) |"
  if [[ -n "${WALL[10000|uk_default]:-}" ]]; then
    r=$(ratio "$(W "10000|uk_default")" "$(W "$K|uk_default")"); echo "| 10,000 / 1,000 threads, ukstack PID (wall; linear: ≤ 10) | $r | ≤ 10 | $(verdict "$r" 10) |"
  fi
  for n in 1 10; do
    [[ -n "${WALL[$n|uk_default]:-}" ]] || continue
    r=$(ratio "$(W "$n|uk_default")" "$(W "$n|eu")"); echo "| $n thread(s): ukstack PID / eu-stack -p (wall) | $r | ≤ 1 | $(verdict "$r" 1) |"
  done
fi
if [[ -n "${FIRST[auto]:-}" ]]; then
  echo
  echo "### Many captures of one process (issue 9): one CaptureSession, $SESSION_N threads, median of $REPS sessions"
  echo
  echo "| stop mode | first capture (opens the session), ms | second capture, ms | second / first |"
  echo "|---|---:|---:|---:|"
  for mode in auto each all; do
    [[ -n "${FIRST[$mode]:-}" ]] || continue
    f=$(median "${FIRST[$mode]}"); sc=$(median "${SECOND[$mode]}")
    echo "| $mode | $(fmt_ms "$f") | $(fmt_ms "$sc") | $(ratio "$sc" "$f") |"
  done
  echo
  r=$(ratio "$(median "${SECOND[auto]}")" "$(median "${FIRST[auto]}")")
  echo "| goal | measured | limit | verdict |"
  echo "|---|---:|---:|---|"
  echo "| 1,000 threads, --stop auto: second capture / first, one session | $r | ≤ 0.60 | $(verdict "$r" 0.60) |"
fi
if ((${#I10_TARGETS[@]})); then
  echo
  echo "### Why is it stuck (issue 10): the answer against a plain capture, eu-stack and gdb, $I10_N threads, median of $REPS runs (gdb: at most 3)"
  for target in "${I10_TARGETS[@]}"; do
    echo
    echo "$target:"
    echo
    echo "| tool | wall ms, median (min–max) | peak RSS MB | wall / summary | wall / plain capture | wall / eu-stack -p | wall / gdb |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    for tool in "${I10_TOOLS[@]}"; do
      key="$target|$tool"
      [[ -n "${I10_WALL[$key]:-}" ]] || continue
      read -r med lo hi <<<"$(stats "${I10_WALL[$key]}")"
      rss=$(awk -v k="$(median "${I10_RSS[$key]}")" 'BEGIN { printf "%.1f", k / 1024 }')
      row="| ${I10_LABEL[$tool]} | $(fmt_ms "$med") ($(fmt_ms "$lo")–$(fmt_ms "$hi")) | $rss"
      for base in summary plain eu gdb; do
        row+=" | $(ratio "$med" "$(median "${I10_WALL[$target|$base]:-}")")"
      done
      echo "$row |"
    done
    echo
    s=$(median "${I10_WALL[$target|summary]:-}")
    echo "Summary / plain capture: wall $(ratio "$s" "$(median "${I10_WALL[$target|plain]:-}")"), peak RSS $(ratio "$(median "${I10_RSS[$target|summary]:-}")" "$(median "${I10_RSS[$target|plain]:-}")"); summary / eu-stack -p $(ratio "$s" "$(median "${I10_WALL[$target|eu]:-}")"), / gdb $(ratio "$s" "$(median "${I10_WALL[$target|gdb]:-}")"); --samples 5 / summary $(ratio "$(median "${I10_WALL[$target|samples]:-}")" "$s")."
  done
fi
if ((I11_RAN)); then
  echo
  echo "### Goroutines (issue 11): fixtures/go_goroutines $I11_N against delve $(dlv version 2>/dev/null | sed -n 's/^Version: //p'), median of $REPS runs (delve: at most 3)"
  echo
  echo "| tool | wall ms, median (min–max) | R | peak RSS MB | goroutines listed | threads stopped (ptrace shim) | longest stop of one thread | /proc sampler: samples with a thread stopped |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  for tool in "${I11_TOOLS[@]}"; do
    [[ -n "${I11_WALL[$tool]:-}" ]] || continue
    read -r med lo hi <<<"$(stats "${I11_WALL[$tool]}")"
    rss=$(awk -v k="$(median "${I11_RSS[$tool]}")" 'BEGIN { printf "%.1f", k / 1024 }')
    stops=$(median "${I11_STOPS[$tool]}"); longest=$(fmt_us "$(median "${I11_MAXSTOP[$tool]}")")
    if [[ $tool == dlv_* ]]; then stops="all (by design; not seen by the shim)"; longest="whole run"; fi
    echo "| ${I11_LABEL[$tool]} | $(fmt_ms "$med") ($(fmt_ms "$lo")–$(fmt_ms "$hi")) | $(wc -w <<<"${I11_WALL[$tool]}") | $rss | ${I11_LISTED[$tool]:-?} | $stops | $longest | ${I11_SEEN[$tool]:--} |"
  done
  echo
  echo "| goal (issue 11) | measured | limit | verdict |"
  echo "|---|---:|---:|---|"
  for tool in uk_text uk_json; do
    r=$(ratio "$(median "${I11_WALL[$tool]:-}")" "$(median "${I11_WALL[dlv_list]:-}")")
    echo "| $I11_N goroutines: ${I11_LABEL[$tool]} / ${I11_LABEL[dlv_list]} (wall) | $r | ≤ 0.20 | $(verdict "$r" 0.20) |"
  done
  r=$(ratio "$(median "${I11_WALL[uk_text]:-}")" "$(median "${I11_WALL[dlv_stacks]:-}")")
  echo "| (reference) ${I11_LABEL[uk_text]} / ${I11_LABEL[dlv_stacks]} (wall) | $r | | |"
  s=$(median "${I11_STOPS[uk_text]:-}")
  echo "| threads stopped by ${I11_LABEL[uk_text]} (--stop auto; one thread spins) | $s | 0 | $(verdict "$s" 0) |"
  # The fixture's own goroutines are N + 3 (main, the spinner, the cgo call); delve adds the runtime's.
  listed=${I11_LISTED[uk_json]:--}
  if [[ $listed =~ ^[0-9]+$ ]] && ((listed > 0)); then
    echo "| goroutines in ukstack's JSON (delve: ${I11_LISTED[dlv_list]:--}) | $listed | ≥ $((I11_N + 3)) | $(awk -v l="$listed" -v w=$((I11_N + 3)) 'BEGIN { print (l >= w) ? "HOLDS" : "MISSED" }') |"
  else
    echo "| goroutines in ukstack's JSON (delve: ${I11_LISTED[dlv_list]:--}) | ${listed/#0/none} | ≥ $((I11_N + 3)) | not measured: no goroutines yet |"
  fi
fi
if ((${#ONE_TARGETS[@]})); then
  echo
  echo "### One thread (issue 12, part 7): median of $((3 * REPS)) runs, interleaved"
  echo
  echo "| target | tool | wall ms, median (min–max) | wall / eu-stack -p | wall / eu-stack -p -s -i |"
  echo "|---|---|---|---:|---:|"
  for target in "${ONE_TARGETS[@]}"; do
    for tool in "${ONE_TOOLS[@]}"; do
      [[ -n "${ONE_WALL[$target|$tool]:-}" ]] || continue
      read -r med lo hi <<<"$(stats "${ONE_WALL[$target|$tool]}")"
      echo "| $target | ${ONE_LABEL[$tool]} | $(fmt_ms "$med") ($(fmt_ms "$lo")–$(fmt_ms "$hi")) | $(ratio "$med" "$(median "${ONE_WALL[$target|eu]:-}")") | $(ratio "$med" "$(median "${ONE_WALL[$target|eu_si]:-}")") |"
    done
  done
  echo
  echo "| goal (issue 12) | measured | limit | verdict |"
  echo "|---|---:|---:|---|"
  for target in "${ONE_TARGETS[@]}"; do
    r=$(ratio "$(median "${ONE_WALL[$target|uk]:-}")" "$(median "${ONE_WALL[$target|eu]:-}")")
    echo "| one thread, $target: \`ukstack PID\` / \`eu-stack -p\` (wall) | $r | ≤ 1 | $(verdict "$r" 1) |"
  done
fi
if ((${#NOTES[@]})); then
  echo
  echo "Notes:"
  for note in "${NOTES[@]}"; do echo "- $note"; done
fi
echo
echo "Reproduce: tests/bench/run_bench.sh${ARGS:+ $ARGS}"
exit 0
