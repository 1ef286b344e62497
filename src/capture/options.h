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

struct CaptureOptions {
  StopMode stop = StopMode::Auto;
  std::vector<int> tids;                           // only these threads; empty = all
  std::chrono::milliseconds timeout{200};          // per-thread stop deadline
  std::chrono::milliseconds run_deadline{30'000};  // one whole capture
  std::size_t stack_copy_bytes = 16 * 1024;        // beyond it, memory is read live
  unwind::UnwindOptions unwind;
};

}  // namespace ukstack
