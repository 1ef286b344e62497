// File access for one process: knows the /proc paths, asks the ProcSource, hands the
// text to the parsers. No ptrace, no DWARF here.
#pragma once

#include <string>
#include <vector>

#include "procfs/fd_target.h"
#include "procfs/kernel_stack.h"
#include "procfs/maps.h"
#include "procfs/source.h"
#include "procfs/syscall.h"
#include "procfs/task_stat.h"

namespace ukstack::procfs {

class ProcessReader {
 public:
  ProcessReader(const ProcSource& source, int pid);

  int pid() const { return pid_; }

  // Thread ids from <pid>/task, ascending. ENOENT means the process is gone.
  Result<std::vector<int>> tasks() const;
  Result<TaskStat> stat(int tid) const;
  Result<TaskStatus> status(int tid) const;
  Result<SchedStat> schedstat(int tid) const;
  Result<std::vector<KernelFrame>> kernel_stack(int tid) const;  // EACCES without CAP_SYS_ADMIN
  Result<std::string> kernel_stack_text(int tid) const;          // raw, to compare before/after
  Result<SyscallState> syscall(int tid) const;
  Result<std::string> wchan(int tid) const;
  Result<std::vector<Mapping>> maps() const;
  Result<std::string> exe() const;                   // readlink <pid>/exe
  Result<std::vector<std::string>> cmdline() const;  // NUL-separated argv
  Result<FdLink> fd(int fd) const;

  // Sockets of the process's network namespace, loaded on first use.
  const SocketTable& sockets() const;
  // One socket of it, by inode: the tables are read one by one until it is found
  // (each tcp table walks the kernel's whole connection hash: milliseconds on a
  // machine with much memory). Null when no table has it.
  const SocketInfo* socket(std::uint64_t inode) const;
  std::string describe_fd(int fd) const;  // "tcp 127.0.0.1:1337 LISTEN" or "fd 7 (closed)"

 private:
  std::string task_path(int tid, const char* file) const;

  const ProcSource& source_;
  int pid_;
  bool read_next_socket_table() const;

  mutable std::size_t socket_tables_read_ = 0;
  mutable SocketTable sockets_;
};

}  // namespace ukstack::procfs
