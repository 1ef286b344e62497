// Many captures of one process through one CaptureSession: what the first capture
// costs (opening the session: modules reported, ELF and DWARF opened, caches cold)
// against the ones after it (caches warm, modules reported again only if the maps
// changed). Issue 9's goal: the second capture costs at most 60% of the first.
//
//   session_bench PID [CAPTURES] [auto|each|all]
//
// Prints one line per capture ("capture 1: 123.4 ms, 1001 threads") and a last line
// "second/first: 0.42". Needs root, like ukstack. Exit 2 when it cannot capture.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "capture/session.h"
#include "capture/signal_guard.h"
#include "procfs/source.h"

int main(int argc, char** argv) {
  using namespace ukstack;
  if (argc < 2) {
    std::fprintf(stderr, "usage: session_bench PID [CAPTURES] [auto|each|all]\n");
    return 64;
  }
  const int pid = std::atoi(argv[1]);
  const int captures = argc > 2 ? std::atoi(argv[2]) : 5;
  CaptureOptions options;
  if (argc > 3) {
    const std::string mode = argv[3];
    options.stop = mode == "each" ? StopMode::Each : mode == "all" ? StopMode::All : StopMode::Auto;
  }

  FatalSignalGuard signal_guard;
  ChildSignalBlock child_signal_block;
  procfs::RealProcSource proc;
  PtraceTracer tracer;

  using Ms = std::chrono::duration<double, std::milli>;
  double first_ms = 0;
  double second_ms = 0;
  auto start = std::chrono::steady_clock::now();
  auto session = CaptureSession::open(pid, options, CaptureSeams{.proc = &proc, .tracer = &tracer});
  if (!session) {
    std::fprintf(stderr, "session_bench: %s\n", session.error().message.c_str());
    return 2;
  }
  for (int i = 1; i <= captures; ++i) {
    if (i > 1) start = std::chrono::steady_clock::now();
    auto snapshot = (*session)->capture();
    const double ms = Ms(std::chrono::steady_clock::now() - start).count();
    if (!snapshot) {
      std::fprintf(stderr, "session_bench: %s\n", snapshot.error().message.c_str());
      return 2;
    }
    std::printf("capture %d: %.1f ms, %zu threads%s\n", i, ms, snapshot->threads.size(),
                i == 1 ? " (with opening the session)" : "");
    if (i == 1) first_ms = ms;
    if (i == 2) second_ms = ms;
  }
  std::printf("module reports: %d\n", (*session)->module_reports());
  if (captures >= 2) std::printf("second/first: %.2f\n", second_ms / first_ms);
  return 0;
}
