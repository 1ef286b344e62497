#include "capture/waits/wait_holders.h"

#include <string>

#include "procfs/syscall.h"
#include "procfs/syscall_names.h"
#include "procfs/task_stat.h"

namespace ukstack {

namespace {

std::optional<std::string> main_thread_syscall(const procfs::ProcSource& proc, int pid) {
  auto text = proc.read_file(std::to_string(pid) + "/syscall");
  if (!text) return std::nullopt;
  auto state = procfs::parse_syscall(*text);
  if (!state || state->kind != procfs::SyscallState::Kind::InSyscall) return std::nullopt;
  const std::string_view name = procfs::syscall_name(state->nr);
  if (name.empty()) return std::nullopt;
  return std::string(name);
}

}  // namespace

WaitHolder process_holder(const procfs::ProcSource& proc, const procfs::TaskStat& stat) {
  return WaitHolder{.pid = stat.tid,
                    .tid = std::nullopt,
                    .name = stat.name,
                    .state = std::string(1, stat.state),
                    .syscall = main_thread_syscall(proc, stat.tid)};
}

std::optional<WaitHolder> HolderProcesses::process(int pid) {
  if (auto it = known_.find(pid); it != known_.end()) return it->second;
  std::optional<WaitHolder> holder;
  if (auto text = proc_.read_file(std::to_string(pid) + "/stat")) {
    if (auto stat = procfs::parse_stat(*text); stat && stat->tid == pid)
      holder = process_holder(proc_, *stat);
  }
  known_.emplace(pid, holder);
  return holder;
}

std::string pid_list(const std::vector<int>& pids) {
  constexpr std::size_t kShown = 8;
  std::string out;
  for (std::size_t i = 0; i < pids.size() && i < kShown; ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(pids[i]);
  }
  if (pids.size() > kShown) out += " and " + std::to_string(pids.size() - kShown) + " more";
  return out;
}

}  // namespace ukstack
