// What a capture is asked to do: which threads, how they may be stopped, and the
// deadlines that bound it.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "unwind/unwinder.h"

namespace ukstack {

// How threads are stopped (DESIGN.md, "Stop modes").
enum class StopMode {
  Auto,  // unwind blocked threads without stopping when that is complete and verified
  Each,  // stop one thread at a time
  All,   // stop every thread first, for one consistent moment
  None,  // never stop anything
};

// Which engine reads blocked threads (DESIGN.md, "Engines").
enum class Engine {
  Auto,    // BPF where it works, procfs elsewhere
  Bpf,     // BPF or nothing: fails clearly where BPF is not available
  Procfs,  // /proc and ptrace only
};

struct CaptureOptions {
  StopMode stop = StopMode::Auto;
  Engine engine = Engine::Auto;
  std::vector<int> tids;                           // only these threads; empty = all
  std::chrono::milliseconds timeout{200};          // per-thread stop deadline
  std::chrono::milliseconds run_deadline{30'000};  // one whole capture
  std::size_t stack_copy_bytes = 16 * 1024;        // beyond it, memory is read live
  // How often a blocked thread's BPF record is taken again when it was not of one
  // moment (the thread woke during the read) before today's path takes it.
  int bpf_retries = 2;
  unwind::UnwindOptions unwind;
};

}  // namespace ukstack
