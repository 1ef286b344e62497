#include "capture/trace_access.h"

#include <fcntl.h>

#include <cerrno>
#include <string>

#include "base/unique_fd.h"

namespace ukstack {

Status may_trace(int pid) {
  UniqueFd mem(::open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC));
  if (mem.valid()) return {};
  if (errno == ENOENT || errno == ESRCH) {
    return Error{ESRCH, "no such process: " + std::to_string(pid)};
  }
  return Error{EPERM, "not permitted to trace process " + std::to_string(pid) +
                          ": run ukstack as root or with CAP_SYS_PTRACE"};
}

}  // namespace ukstack
