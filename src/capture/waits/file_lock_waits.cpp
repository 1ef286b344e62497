#include "capture/waits/file_lock_waits.h"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "capture/waits/wait_holders.h"

namespace ukstack {

namespace {

constexpr std::uint64_t kSetLockWait = 7;      // F_SETLKW
constexpr std::uint64_t kOfdSetLockWait = 38;  // F_OFD_SETLKW (Linux 3.15)

// FLOCK locks conflict only with FLOCK locks; POSIX and OFD locks with each other.
bool same_family(std::string_view a, std::string_view b) {
  const auto flock = [](std::string_view kind) { return kind == "FLOCK"; };
  const auto record = [](std::string_view kind) { return kind == "POSIX" || kind == "OFDLCK"; };
  return (flock(a) && flock(b)) || (record(a) && record(b));
}

bool on_file(const procfs::FileLock& lock, const procfs::FileIdentity& file) {
  return lock.inode == file.inode && lock.major == file.major && lock.minor == file.minor;
}

}  // namespace

const Result<std::vector<procfs::FileLock>>& FileLockWaits::locks() {
  if (!locks_) {
    auto text = proc_.read_file("locks");
    locks_ = text ? procfs::parse_file_locks(*text)
                  : Result<std::vector<procfs::FileLock>>(text.error());
  }
  return *locks_;
}

std::optional<Wait> FileLockWaits::find(const Thread& thread, int pid) {
  if (!thread.syscall || thread.syscall->args.size() < 2) return std::nullopt;
  const SyscallInfo& call = *thread.syscall;
  std::string kind;  // as /proc/locks names the request
  if (call.name == "flock") {
    if ((call.args[1] & LOCK_NB) != 0) return std::nullopt;
    kind = "FLOCK";
  } else if (call.name == "fcntl" && call.args[1] == kSetLockWait) {
    kind = "POSIX";
  } else if (call.name == "fcntl" && call.args[1] == kOfdSetLockWait) {
    kind = "OFDLCK";
  } else {
    return std::nullopt;
  }
  const int fd = static_cast<int>(call.args[0] & 0x7fffffffU);
  std::string path = "fd " + std::to_string(fd);
  for (const FdDescription& described : call.fds) {
    if (described.fd == fd && !described.target.empty()) path = described.target;
  }

  Wait wait;
  wait.kind = WaitKind::FileLock;
  const std::string what = kind == "FLOCK" ? "flock " : "fcntl lock ";
  auto file = proc_.identify(std::to_string(pid) + "/fd/" + std::to_string(fd));
  if (!file) {
    wait.description = what + path;
    wait.reason = "the locked file cannot be identified: " + file.error().message;
    return wait;
  }
  wait.description = what + path + " (inode " + std::to_string(file->inode) + ")";
  const auto& all = locks();
  if (!all) {
    wait.reason = "/proc/locks cannot be read: " + all.error().message;
    return wait;
  }

  // The thread's own request, queued behind the lock that blocks it. An OFD
  // request shows pid -1, like every other OFD request: it cannot be told apart.
  std::optional<std::size_t> holder_index;
  for (std::size_t i = 0; i < all->size(); ++i) {
    const procfs::FileLock& lock = (*all)[i];
    if (!lock.blocked() || lock.kind != kind || !on_file(lock, *file)) continue;
    if (kind == "OFDLCK" || lock.pid != pid) continue;
    holder_index = procfs::granted_blocker(*all, i);
    break;
  }
  std::vector<const procfs::FileLock*> granted;
  if (holder_index) {
    granted.push_back(&(*all)[*holder_index]);
  } else {
    // Not found (an OFD request, or the request queued since): the granted locks on
    // the file that can conflict; a process's own POSIX locks never block it.
    for (const procfs::FileLock& lock : *all) {
      if (lock.blocked() || !on_file(lock, *file) || !same_family(lock.kind, kind)) continue;
      if (kind == "POSIX" && lock.kind == "POSIX" && lock.pid == pid) continue;
      granted.push_back(&lock);
    }
  }
  if (granted.empty()) {
    wait.reason =
        "no lock is held on the file in /proc/locks: released since (the thread is "
        "taking it)";
    return wait;
  }
  HolderProcesses processes(proc_);
  std::vector<std::string> unknown;
  for (const procfs::FileLock* lock : granted) {
    if (lock->pid == -1) {
      unknown.push_back("an open file description lock (F_OFD_SETLK) names no process");
    } else if (lock->pid == 0) {
      unknown.push_back("held by a process outside ukstack's PID namespace");
    } else if (auto holder = processes.process(lock->pid)) {
      if (std::none_of(wait.holders.begin(), wait.holders.end(),
                       [&](const WaitHolder& h) { return h.pid == holder->pid; })) {
        wait.holders.push_back(*holder);
      }
    } else {
      unknown.push_back("held by process " + std::to_string(lock->pid) +
                        ", which is gone (a process it forked may hold the file open)");
    }
  }
  if (wait.holders.empty() && !unknown.empty()) wait.reason = unknown.front();
  return wait;
}

}  // namespace ukstack
