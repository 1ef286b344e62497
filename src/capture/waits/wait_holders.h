// Processes named as holders of what a thread waits for: pid, name and state from
// /proc/<pid>/stat, read once per pid in a capture.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "model/snapshot.h"
#include "procfs/source.h"
#include "procfs/task_stat.h"

namespace ukstack {

// A process as a holder: its name and state from its stat, and the system call its
// main thread is blocked in (none when it is in none or that cannot be read).
WaitHolder process_holder(const procfs::ProcSource& proc, const procfs::TaskStat& stat);

// Holder processes by pid, each read once per capture.
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
