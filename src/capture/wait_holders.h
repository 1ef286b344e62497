// Processes named as holders of what a thread waits for: pid, name and state from
// /proc/<pid>/stat, read once per pid in a capture.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "model/snapshot.h"
#include "procfs/source.h"

namespace ukstack {

// The system call a process's main thread is blocked in ("nanosleep"); nullopt when
// it is in none, or it cannot be read.
std::optional<std::string> main_thread_syscall(const procfs::ProcSource& proc, int pid);

class HolderProcesses {
 public:
  explicit HolderProcesses(const procfs::ProcSource& proc) : proc_(proc) {}
  // nullopt when the process is gone (or its stat unreadable).
  std::optional<WaitHolder> process(int pid);

 private:
  const procfs::ProcSource& proc_;
  std::unordered_map<int, std::optional<WaitHolder>> known_;
};

// "12, 34 and 3 more": pids for a reason, kept short.
std::string pid_list(const std::vector<int>& pids);

}  // namespace ukstack
