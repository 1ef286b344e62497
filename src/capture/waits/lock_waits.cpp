#include "capture/waits/lock_waits.h"

#include <linux/futex.h>
#include <sys/syscall.h>

#include <algorithm>

#include "base/format.h"
#include "capture/waits/glibc_locks.h"
#include "capture/waits/lock_frames.h"

namespace ukstack {

namespace {

// FUTEX_LOCK_PI2 (Linux 5.14): glibc 2.36's pthread_mutex_clocklock on a
// priority-inheritance mutex with CLOCK_MONOTONIC.
constexpr int kFutexLockPi2 = 13;

// The futex operations that sleep: the plain waits a lock's waiter makes, and the
// priority-inheritance lock.
bool sleeping_op(std::uint64_t op) {
  const int command = static_cast<int>(op & FUTEX_CMD_MASK);
  return command == FUTEX_WAIT || command == FUTEX_WAIT_BITSET || command == FUTEX_LOCK_PI ||
         command == kFutexLockPi2;
}

// The thread a lock names as its owner, as a holder; a reason when the process has
// no such thread among those captured.
void add_holder(const Snapshot& snapshot, const LockHolder& read, Wait& wait) {
  if (!read.owner) {
    wait.reason = read.reason;
    return;
  }
  const int owner = *read.owner;
  auto thread = std::ranges::find(snapshot.threads, owner, &Thread::tid);
  if (thread == snapshot.threads.end()) {
    wait.reason = "the lock names thread " + std::to_string(owner) +
                  ", which is not among the captured threads of process " +
                  std::to_string(snapshot.process.pid) +
                  (read.process_shared ? " (a process-shared lock: another process may hold it)"
                                       : " (corrupted, or the owner exited)");
    return;
  }
  wait.holders.push_back(
      WaitHolder{snapshot.process.pid, owner, thread->name, thread->state, std::nullopt});
}

std::optional<Wait> lock_wait(const Snapshot& snapshot, const Thread& thread,
                              const unwind::AddressSpace& memory) {
  const SyscallInfo& call = *thread.syscall;
  if (call.nr != SYS_futex || call.args.size() < 3 || !sleeping_op(call.args[1])) {
    return std::nullopt;
  }
  const LockCall lock = lock_call(thread.user.frames);
  if (lock == LockCall::None) return std::nullopt;
  const RemoteAddr futex(call.args[0]);

  Wait wait;
  if (lock == LockCall::Mutex) {
    LockHolder read = read_mutex_holder(memory, futex);
    wait.kind = WaitKind::Mutex;
    wait.address = read.lock.value();
    wait.description = "mutex " + hex(read.lock.value());
    add_holder(snapshot, read, wait);
    return wait;
  }
  wait.kind = WaitKind::Rwlock;
  const auto expected = static_cast<std::uint32_t>(call.args[2]);
  auto read = read_rwlock_holder(memory, futex, expected, lock == LockCall::RwlockWrite);
  if (!read) {
    // Not a wait glibc's rwlock makes: where the lock starts is unknown.
    wait.description = "rwlock with futex " + hex(futex.value());
    wait.reason = "the futex wait (expected value " + std::to_string(expected) +
                  ") is not one glibc's rwlock makes: the lock's layout is unknown";
    return wait;
  }
  wait.address = read->lock.value();
  wait.description = "rwlock " + hex(read->lock.value());
  add_holder(snapshot, *read, wait);
  return wait;
}

}  // namespace

void find_lock_waits(Snapshot& snapshot, const unwind::AddressSpace& memory) {
  for (Thread& thread : snapshot.threads) {
    if (!thread.syscall) continue;
    if (auto wait = lock_wait(snapshot, thread, memory)) {
      thread.waits_for.push_back(std::move(*wait));
    }
  }
}

}  // namespace ukstack
