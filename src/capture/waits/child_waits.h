// wait4/waitid: the children a blocked thread waits for (wait4's pid > 0: that
// one; -1 or P_ALL: all; 0 or -pgid, P_PGID: those of a process group; P_PIDFD:
// the pidfd's process), with their names and states. Children come from
// /proc/<pid>/task/*/children, or from the ppid of every process when the kernel
// has no such file (CONFIG_PROC_CHILDREN off).
#pragma once

#include <optional>

#include "model/snapshot.h"
#include "procfs/source.h"

namespace ukstack {

// nullopt when the thread is not blocked in wait4 or waitid.
std::optional<Wait> find_child_wait(const Thread& thread, int pid, const procfs::ProcSource& proc);

}  // namespace ukstack
