#include "capture/waits/object_waits.h"

#include "capture/waits/child_waits.h"
#include "capture/waits/file_lock_waits.h"

namespace ukstack {

namespace {

// Sleeping in a system call: S, or D (a pipe or lock wait may be uninterruptible).
bool blocked_in_syscall(const Thread& thread) {
  return thread.syscall.has_value() && (thread.state == "S" || thread.state == "D");
}

}  // namespace

void find_object_waits(Snapshot& snapshot, const procfs::ProcSource& proc) {
  const procfs::NetlinkUnixPeers unix_peers;
  (void)find_object_waits(snapshot, proc, unix_peers);
}

OtherEndScan find_object_waits(Snapshot& snapshot, const procfs::ProcSource& proc,
                               const procfs::UnixPeerSource& unix_peers) {
  const int pid = snapshot.process.pid;
  FileLockWaits file_locks(proc);
  OtherEndWaits other_ends(proc, unix_peers);
  for (Thread& thread : snapshot.threads) {
    if (!blocked_in_syscall(thread)) continue;
    if (auto wait = find_child_wait(thread, pid, proc)) {
      thread.waits_for.push_back(std::move(*wait));
    } else if (auto lock = file_locks.find(thread, pid)) {
      thread.waits_for.push_back(std::move(*lock));
    } else {
      other_ends.add(thread, pid);
    }
  }
  return other_ends.resolve();
}

}  // namespace ukstack
