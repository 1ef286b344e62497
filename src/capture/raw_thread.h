// What was read and sampled for one thread, before it becomes a model Thread.
// Unwinding happens after every stop has ended, except for verified no-stop
// unwinds, which need no stop at all.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/snapshot.h"
#include "procfs/syscall.h"
#include "procfs/task_stat.h"
#include "unwind/unwinder.h"

namespace ukstack {

// A /proc read or a ptrace call that failed because the thread (or process) is no
// longer there: ENOENT from /proc, ESRCH from ptrace. Not an error to report.
inline bool thread_gone(const Error& error) {
  return error.errnum == ENOENT || error.errnum == ESRCH;
}

// What a capture verified of a blocked thread that auto left running, kept by the
// session: while the thread is never on a CPU (same schedstat), none of it can
// change, and the next capture takes it as it is instead of reading and
// unwinding it again.
struct VerifiedThread {
  procfs::SchedStat sched;
  std::string kernel_text;
  procfs::SyscallState syscall;
  Stack user;
};

struct RawThread {
  int tid = 0;
  bool exited = false;
  bool kernel_thread = false;
  procfs::TaskStat stat;
  // Its scheduler counters, read before the kernel half and before any stop, or
  // where the kernel keeps none, its context switches (status): auto's proof that a
  // thread stayed put while unwound without stopping, and the thread's activity.
  std::optional<procfs::SchedStat> sched_before;
  std::optional<procfs::TaskStatus> status;
  Result<std::string> kernel_before = Error{};
  std::optional<procfs::SyscallState> syscall;
  std::string wchan;
  std::optional<unwind::ThreadSample> sample;   // to be unwound
  std::optional<unwind::UnwoundStack> unwound;  // already unwound
  bool unwound_without_stop = false;
  bool verified_in_place = false;  // re-checked right after its no-stop unwind
  bool from_bpf = false;           // both halves from one BPF record: nothing stopped
  std::optional<std::string> user_error;
  std::vector<std::string> notes;
  // auto, in a session's later captures: the thread has not been on a CPU since
  // the previous capture verified it in place, so its halves are the ones that
  // capture saw (kernel_before and syscall are then those too).
  std::optional<Stack> reused_user;

  bool blocked() const { return syscall && syscall->kind != procfs::SyscallState::Kind::Running; }
};

}  // namespace ukstack
