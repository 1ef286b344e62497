// The capture protocol for a live process (DESIGN.md): per thread, the kernel half
// is read before the thread is stopped; the stop lasts only for the registers and
// one copy of the live stack; unwinding and symbolization run after the detach.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/snapshot.h"
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
  std::chrono::milliseconds run_deadline{30'000};  // the whole capture
  std::size_t stack_copy_bytes = 16 * 1024;        // beyond it, memory is read live
  unwind::UnwindOptions unwind;
};

// An Error only when nothing could be captured (no such process, not permitted,
// already traced, ukstack itself); problems with single threads are in the snapshot.
Result<Snapshot> capture_live(int pid, const CaptureOptions& options);

// One unwound user frame as the snapshot keeps it (live captures and core files).
Frame to_frame(unwind::UnwoundFrame&& frame);

}  // namespace ukstack
