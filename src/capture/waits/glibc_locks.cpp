#include "capture/waits/glibc_locks.h"

#include <linux/futex.h>
#include <pthread.h>

#include <climits>
#include <cstddef>

#include "base/format.h"

namespace ukstack {

// The layouts are read through <pthread.h>'s own types: this is an x86-64 build
// reading x86-64 targets (see the README's limits), and glibc keeps these stable.
static_assert(sizeof(void*) == 8 && sizeof(pthread_mutex_t) == 40 && sizeof(pthread_rwlock_t) == 56,
              "glibc's x86-64 layouts of pthread_mutex_t and pthread_rwlock_t");

namespace {

// __kind bits of glibc's nptl (sysdeps/nptl/pthreadP.h); the type is kind & 3.
constexpr int kMutexKindMask = 3;
constexpr int kMutexRobust = 16;
constexpr int kMutexPriorityInherit = 32;
constexpr int kMutexPriorityProtect = 64;
constexpr int kMutexProcessShared = 128;
constexpr int kMutexElisionFlags = 256 | 512;
constexpr int kMutexKnownBits = kMutexKindMask | kMutexRobust | kMutexPriorityInherit |
                                kMutexPriorityProtect | kMutexProcessShared | kMutexElisionFlags;
// __owner of a robust mutex whose owner died, before and after it was given up.
constexpr int kMutexInconsistent = INT_MAX;
constexpr int kMutexNotRecoverable = INT_MAX - 1;

// __readers bits and __*_futex values of glibc's rwlock (pthreadP.h).
constexpr std::uint32_t kRwlockWritePhase = 1;
constexpr std::uint32_t kRwlockWriteLocked = 2;
constexpr std::uint32_t kRwlockReaderWaiting = 4;
constexpr std::uint32_t kRwlockReaderShift = 3;
constexpr std::uint32_t kRwlockFutexUsed = 2;
constexpr unsigned kRwlockMaxFlags = PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;

LockHolder unreadable(RemoteAddr lock, const char* what, const Error& error) {
  return {
      lock, std::nullopt,
      std::string("the ") + what + " at " + hex(lock.value()) + " cannot be read: " + error.message,
      false};
}

LockHolder no_owner(RemoteAddr lock, std::string reason, bool process_shared = false) {
  return {lock, std::nullopt, std::move(reason), process_shared};
}

}  // namespace

LockHolder read_mutex_holder(const unwind::AddressSpace& memory, RemoteAddr futex) {
  auto read = memory.read_value<pthread_mutex_t>(futex);
  if (!read) return unreadable(futex, "mutex", read.error());
  const auto& mutex = read->__data;
  const int kind = mutex.__kind;
  const bool shared = (kind & kMutexProcessShared) != 0;
  if ((kind & ~kMutexKnownBits) != 0 ||
      ((kind & kMutexPriorityInherit) != 0 && (kind & kMutexPriorityProtect) != 0)) {
    return no_owner(futex, "the memory at " + hex(futex.value()) +
                               " does not hold a pthread mutex (kind " + std::to_string(kind) +
                               ")");
  }
  if (mutex.__lock == 0) {
    return no_owner(futex, "the mutex is not locked (its waiter is being woken)", shared);
  }
  // Priority-inheritance and robust mutexes keep the owner's tid in the futex word
  // (the kernel reads it there); the others only in __owner.
  int owner = mutex.__owner;
  if ((kind & (kMutexPriorityInherit | kMutexRobust)) != 0) {
    owner = static_cast<int>(static_cast<unsigned>(mutex.__lock) & FUTEX_TID_MASK);
    if (owner == 0 && (static_cast<unsigned>(mutex.__lock) & FUTEX_OWNER_DIED) != 0) {
      return no_owner(futex, "the mutex's owner died holding it (robust mutex)", shared);
    }
  }
  if (owner == kMutexInconsistent || owner == kMutexNotRecoverable) {
    return no_owner(futex, "the mutex's owner died holding it (robust mutex)", shared);
  }
  if (owner <= 0) {
    return no_owner(futex, "the mutex is locked but records no owner (corrupted, or being taken)",
                    shared);
  }
  return {futex, owner, std::nullopt, shared};
}

std::optional<LockHolder> read_rwlock_holder(const unwind::AddressSpace& memory, RemoteAddr futex,
                                             std::uint32_t expected, bool writer) {
  constexpr std::uint32_t kOneAndUsed = 1 | kRwlockFutexUsed;
  std::uint64_t word = 0;  // the offset of the futex word in the lock
  if (!writer && expected == kOneAndUsed) {
    word = offsetof(pthread_rwlock_t, __data.__wrphase_futex);
  } else if (!writer && (expected & kRwlockReaderWaiting) != 0) {
    word = offsetof(pthread_rwlock_t, __data.__readers);
  } else if (writer && expected == kOneAndUsed) {
    word = offsetof(pthread_rwlock_t, __data.__writers_futex);
  } else if (writer && expected == kRwlockFutexUsed) {
    word = offsetof(pthread_rwlock_t, __data.__wrphase_futex);
  } else {
    return std::nullopt;
  }
  const RemoteAddr lock = futex - word;
  auto read = memory.read_value<pthread_rwlock_t>(lock);
  if (!read) return unreadable(lock, "rwlock", read.error());
  const auto& rwlock = read->__data;
  // Words glibc never writes but zeroes, and flags it only sets to a few values.
  if (rwlock.__pad3 != 0 || rwlock.__pad4 != 0 || rwlock.__flags > kRwlockMaxFlags ||
      (rwlock.__shared != 0 && rwlock.__shared != 1)) {
    return no_owner(lock, "the memory at " + hex(lock.value()) + " does not hold a pthread rwlock");
  }
  const bool shared = rwlock.__shared != 0;
  const std::uint32_t readers = rwlock.__readers;
  if ((readers & kRwlockWritePhase) == 0) {
    const std::uint32_t count = readers >> kRwlockReaderShift;
    if (count == 0) return no_owner(lock, "the rwlock is not held (its waiter is being woken)");
    return no_owner(lock,
                    "held for reading by " + std::to_string(count) +
                        (count == 1 ? " thread" : " threads") + " (glibc does not record which)",
                    shared);
  }
  if ((readers & kRwlockWriteLocked) == 0) {
    return no_owner(lock, "the rwlock is not held for writing (its waiter is being woken)", shared);
  }
  if (rwlock.__cur_writer <= 0) {
    return no_owner(
        lock, "the rwlock is held for writing but records no writer (being handed over)", shared);
  }
  return LockHolder{lock, rwlock.__cur_writer, std::nullopt, shared};
}

}  // namespace ukstack
