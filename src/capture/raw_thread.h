// What was read and sampled for one thread, before it becomes a model Thread.
// Unwinding happens after every stop has ended, except for verified no-stop
// unwinds, which need no stop at all.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "procfs/syscall.h"
#include "procfs/task_stat.h"
#include "unwind/unwinder.h"

namespace ukstack {

struct RawThread {
  int tid = 0;
  bool exited = false;
  bool kernel_thread = false;
  procfs::TaskStat stat;
  // Auto's proof that a thread stayed put while unwound without stopping: its
  // scheduler counters (read before the kernel half), or where the kernel keeps
  // none, its voluntary context switches.
  std::optional<procfs::SchedStat> sched_before;
  std::optional<procfs::TaskStatus> status;
  Result<std::string> kernel_before = Error{};
  std::optional<procfs::SyscallState> syscall;
  std::string wchan;
  std::optional<unwind::ThreadSample> sample;   // to be unwound
  std::optional<unwind::UnwoundStack> unwound;  // already unwound
  bool unwound_without_stop = false;
  bool verified_in_place = false;  // re-checked right after its no-stop unwind
  std::optional<std::string> user_error;
  std::vector<std::string> notes;

  bool blocked() const {
    return syscall && syscall->kind != procfs::SyscallState::Kind::Running;
  }
};

}  // namespace ukstack
