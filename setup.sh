#!/usr/bin/env bash
# ukstack's one set-up script, for a fresh Debian 12 machine, as root.
#   ./setup.sh demo    install what is missing, build, run ukstack on the demo servers
#   ./setup.sh test    install what is missing, build, run the whole test suite
#   ./setup.sh build   install what is missing and build
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake pkg-config ca-certificates
  libdw-dev libelf-dev libunwind-dev libcli11-dev nlohmann-json3-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  golang-go               # the Go demo server and Go fixtures
  libc6-dbg               # separate debug info for libc, found via .build-id
  debuginfod libdebuginfod-dev  # debuginfod client (bounded requests) and a local server in tests
  gdb elfutils            # test oracles and benchmark peers (ukstack never calls them)
  delve                   # dlv: the goroutine oracle of the Go tests and peer of their benchmark
  bzip2                   # unpacks elfutils' test cores (../shared/peer-data) in the core tests
  python3 python3-jsonschema   # validates every JSON output against the schema in tests
  procps iproute2 util-linux   # ps, ss, setpriv in tests
  clang libclang-rt-14-dev     # libFuzzer targets (tests/fuzz/run_fuzzers.sh), the BPF program
  libbpf-dev bpftool           # the BPF engine: its loader, and its skeleton made at build time
  clang-format                 # the format check (.clang-format) the test run starts with
  protobuf-compiler libprotobuf-dev golang-github-google-pprof-dev  # --format pprof: protoc, libprotobuf, pprof's profile.proto
  scdoc                        # the man page ukstack(1): small, C, made for man pages only
  dpkg-dev lintian             # the Debian package: dpkg-shlibdeps for its Depends, its check
  man-db                       # the man page test renders ukstack(1) with man --warnings
  zsh bash-completion          # the completion tests load the scripts in both shells
  libzstd-dev liblz4-dev liblzma-dev  # compressed cores (zstd, lz4, xz) as systemd-coredump stores them
  zstd lz4 xz-utils            # compress the test cores with each format's own tool
  python3.11 python3.11-dbg    # the Python fixtures, and the debug info of /usr/bin/python3.11 (its layouts, gdb's py-bt)
  nodejs                       # JIT frames named from perf maps: node --perf-basic-prof in the tests
)
PRESET="${UKSTACK_PRESET:-ci}"

install_missing() {
  local missing=()
  for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# Builds everything, or only the targets named.
build() {
  cmake --preset "$PRESET" >/dev/null
  cmake --build --preset "$PRESET" -j "$(nproc)" ${1:+--target "$@"}
}

# Starts a demo server, waits for its "ready" line, prints its PID.
start_server() {
  local log="$1"; shift
  "$@" >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 200); do
    grep -q '^ready' "$log" 2>/dev/null && { echo "$pid"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "setup: $* did not start: $(cat "$log")" >&2
  kill "$pid" 2>/dev/null || true
  return 1
}

DEMO_DIR=""
DEMO_PIDS=()
end_demo() {
  ((${#DEMO_PIDS[@]})) && kill "${DEMO_PIDS[@]}" 2>/dev/null
  [[ -n "$DEMO_DIR" ]] && rm -rf "$DEMO_DIR"
  return 0
}

demo() {
  DEMO_DIR="$(mktemp -d)"
  local dir="$DEMO_DIR"
  trap end_demo EXIT
  local c_pid go_pid
  c_pid="$(start_server "$dir/c.log" build/fixtures/accept_server 1337 ||
           start_server "$dir/c.log" build/fixtures/accept_server 0)"
  DEMO_PIDS+=("$c_pid")
  echo "== ukstack $c_pid   (the C accept server: $(cat "$dir/c.log"))"
  build/src/ukstack "$c_pid" || true
  if [[ -x build/fixtures/accept_server_go ]]; then
    go_pid="$(start_server "$dir/go.log" build/fixtures/accept_server_go 1338 ||
              start_server "$dir/go.log" build/fixtures/accept_server_go 0)"
    DEMO_PIDS+=("$go_pid")
    echo
    echo "== ukstack $go_pid   (the Go accept server: $(cat "$dir/go.log"))"
    build/src/ukstack "$go_pid" || true
  fi
  # A Python service: Python frames merged between the native ones, shown here
  # without the interpreter's own frames (--no-native).
  local py_pid
  py_pid="$(start_server "$dir/py.log" /usr/bin/python3.11 fixtures/python/blocking_threads.py "$dir/frames.json")"
  DEMO_PIDS+=("$py_pid")
  echo
  echo "== ukstack --no-native $py_pid   (a Python service with blocked threads: $(cat "$dir/py.log"))"
  build/src/ukstack --no-native "$py_pid" || true
}

# Fails, naming the files, when clang-format would change any C or C++ file.
check_format() {
  local files
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    files=$(git ls-files '*.c' '*.cpp' '*.h')
  else
    files=$(find fixtures procfs src tests unwind -name '*.c' -o -name '*.cpp' -o -name '*.h')
  fi
  local unformatted=()
  for file in $files; do
    clang-format --dry-run --Werror "$file" >/dev/null 2>&1 || unformatted+=("$file")
  done
  if ((${#unformatted[@]})); then
    echo "setup: clang-format would change: ${unformatted[*]} (run clang-format -i on them)" >&2
    return 1
  fi
  echo "setup: every C and C++ file is formatted (clang-format $(clang-format --version | grep -o '[0-9.]*' | head -1))"
}

# The whole suite: the format check, the ci build (warnings are errors), the same suite under
# AddressSanitizer + UndefinedBehaviorSanitizer, and a short run of every fuzzer.
run_tests() {
  check_format
  ctest --preset "$PRESET" -j 2 --timeout 900
  echo "setup: the test suite again under ASan + UBSan"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$(nproc)"
  # The 1,000-captures-per-mode stress tests run 100 per mode under the sanitizers.
  UKSTACK_STRESS_CAPTURES=100 ctest --preset asan -j 2 --timeout 900
  echo "setup: fuzzing every parser and the snapshot loader, ${UKSTACK_FUZZ_SECONDS:-60} s each"
  tests/fuzz/run_fuzzers.sh "${UKSTACK_FUZZ_SECONDS:-60}"
}

case "${1:-}" in
  demo) install_missing; build ukstack accept_server accept_server_go; demo ;;
  test) install_missing; build; run_tests ;;
  build) install_missing; build ;;
  *) echo "usage: $0 demo|test|build" >&2; exit 64 ;;
esac
