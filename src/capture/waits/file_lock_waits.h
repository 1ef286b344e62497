// flock(2) and fcntl(F_SETLKW / F_OFD_SETLKW): the process holding the lock a
// thread waits for, from /proc/locks: the granted lock the kernel queued the
// thread's request behind. The file is identified by device and inode (stat of
// /proc/<pid>/fd/<n>, which works on every kernel, unlike fdinfo's ino:).
#pragma once

#include <optional>
#include <vector>

#include "model/snapshot.h"
#include "procfs/file_locks.h"
#include "procfs/source.h"

namespace ukstack {

class FileLockWaits {
 public:
  explicit FileLockWaits(const procfs::ProcSource& proc) : proc_(proc) {}
  // nullopt when the thread is not blocked taking a file lock.
  std::optional<Wait> find(const Thread& thread, int pid);

 private:
  // /proc/locks, read on first use: once per capture.
  const Result<std::vector<procfs::FileLock>>& locks();

  const procfs::ProcSource& proc_;
  std::optional<Result<std::vector<procfs::FileLock>>> locks_;
};

}  // namespace ukstack
