#include "capture/waits/child_waits.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>

#include "capture/waits/wait_holders.h"
#include "procfs/fd_info.h"
#include "procfs/task_stat.h"

namespace ukstack {

namespace {

constexpr std::uint64_t kPidfd = 3;  // P_PIDFD (Linux 5.4), not in every libc's headers

// Which children a call waits for: one pid, all, or a process group.
struct ChildSelection {
  enum class Kind { One, All, Group } kind = Kind::All;
  int id = 0;                // the pid (One) or the group (Group)
  bool this_thread = false;  // __WNOTHREAD: only the calling thread's children
};

std::optional<int> as_id(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value > INT32_MAX) return std::nullopt;
  return static_cast<int>(value);
}

std::optional<procfs::TaskStat> stat_of(const procfs::ProcSource& proc, int pid) {
  auto text = proc.read_file(std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  auto stat = procfs::parse_stat(*text);
  if (!stat) return std::nullopt;
  return std::move(*stat);
}

// The children of `pid` (of thread `only_tid` alone when set), from the children
// files; nullopt when the kernel has none.
std::optional<std::set<int>> children_from_task_files(const procfs::ProcSource& proc, int pid,
                                                      std::optional<int> only_tid) {
  std::vector<std::string> tasks;
  if (only_tid) {
    tasks.push_back(std::to_string(*only_tid));
  } else {
    auto listed = proc.list_dir(std::to_string(pid) + "/task");
    if (!listed) return std::nullopt;
    tasks = std::move(*listed);
  }
  std::set<int> children;
  bool any = false;
  for (const std::string& task : tasks) {
    auto text = proc.read_file(std::to_string(pid) + "/task/" + task + "/children");
    if (!text) continue;  // a thread that exited since the listing
    any = true;
    std::string_view rest = *text;
    while (!rest.empty()) {
      const auto space = rest.find_first_of(" \n");
      if (auto child = as_id(rest.substr(0, space))) children.insert(*child);
      if (space == std::string_view::npos) break;
      rest.remove_prefix(space + 1);
    }
  }
  if (!any) return std::nullopt;
  return children;
}

// Every process whose parent is `pid`: a scan of /proc.
std::set<int> children_from_ppid(const procfs::ProcSource& proc, int pid) {
  std::set<int> children;
  auto entries = proc.list_dir("");
  if (!entries) return children;
  for (const std::string& entry : *entries) {
    auto candidate = as_id(entry);
    if (!candidate) continue;
    if (auto stat = stat_of(proc, *candidate); stat && stat->ppid == pid)
      children.insert(*candidate);
  }
  return children;
}

std::optional<ChildSelection> selection_of(const Thread& thread, int pid,
                                           const procfs::ProcSource& proc) {
  const SyscallInfo& call = *thread.syscall;
  if (call.args.size() < 4) return std::nullopt;
  const auto signed_arg = [&](std::size_t i) {
    return static_cast<int>(static_cast<std::int32_t>(call.args[i] & 0xffffffffU));
  };
  ChildSelection selection;
  if (call.name == "wait4") {
    const int target = signed_arg(0);
    selection.this_thread = (call.args[2] & __WNOTHREAD) != 0;
    if (target > 0) {
      selection = {ChildSelection::Kind::One, target, selection.this_thread};
    } else if (target == -1) {
      selection.kind = ChildSelection::Kind::All;
    } else if (target == INT32_MIN) {
      return std::nullopt;  // no group -INT_MIN: the kernel answers ESRCH
    } else {
      selection.kind = ChildSelection::Kind::Group;
      selection.id = -target;  // 0: the caller's group, filled below
    }
  } else if (call.name == "waitid") {
    const int id = signed_arg(1);
    selection.this_thread = (call.args[3] & __WNOTHREAD) != 0;
    switch (call.args[0] & 0xffffffffU) {
      case P_ALL:
        selection.kind = ChildSelection::Kind::All;
        break;
      case P_PID:
        selection.kind = ChildSelection::Kind::One;
        selection.id = id;
        break;
      case P_PGID:
        selection.kind = ChildSelection::Kind::Group;
        selection.id = id;
        break;
      case kPidfd: {
        auto text = proc.read_file(std::to_string(pid) + "/fdinfo/" + std::to_string(id));
        auto info = text ? procfs::parse_fdinfo(*text) : Result<procfs::FdInfo>(text.error());
        if (!info || !info->pidfd_pid) return std::nullopt;
        selection.kind = ChildSelection::Kind::One;
        selection.id = *info->pidfd_pid;
        break;
      }
      default:
        return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (selection.kind == ChildSelection::Kind::Group && selection.id == 0) {
    auto own = stat_of(proc, pid);
    if (!own) return std::nullopt;
    selection.id = own->pgrp;
  }
  return selection;
}

}  // namespace

std::optional<Wait> find_child_wait(const Thread& thread, int pid, const procfs::ProcSource& proc) {
  if (!thread.syscall || (thread.syscall->name != "wait4" && thread.syscall->name != "waitid")) {
    return std::nullopt;
  }
  Wait wait;
  wait.kind = WaitKind::Child;
  auto selection = selection_of(thread, pid, proc);
  if (!selection) {
    wait.description = "children of " + std::to_string(pid);
    wait.reason = "the children waited for could not be told from the call's arguments";
    return wait;
  }
  switch (selection->kind) {
    case ChildSelection::Kind::One:
      wait.description = "child " + std::to_string(selection->id) + " of " + std::to_string(pid);
      break;
    case ChildSelection::Kind::All:
      wait.description = "children of " + std::to_string(pid);
      break;
    case ChildSelection::Kind::Group:
      wait.description = "children of " + std::to_string(pid) + " in process group " +
                         std::to_string(selection->id);
      break;
  }
  auto children = children_from_task_files(
      proc, pid, selection->this_thread ? std::optional<int>(thread.tid) : std::nullopt);
  if (!children) children = children_from_ppid(proc, pid);

  for (int child : *children) {
    if (selection->kind == ChildSelection::Kind::One && child != selection->id) continue;
    auto stat = stat_of(proc, child);
    if (!stat) continue;  // reaped since
    if (selection->kind == ChildSelection::Kind::Group && stat->pgrp != selection->id) continue;
    wait.holders.push_back(process_holder(proc, *stat));
  }
  if (wait.holders.empty()) {
    wait.reason = "no child of " + std::to_string(pid) +
                  " matches: it was reaped or reparented since (the call is returning)";
  }
  return wait;
}

}  // namespace ukstack
