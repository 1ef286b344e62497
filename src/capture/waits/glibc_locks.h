// Who holds a glibc pthread mutex or rwlock, read from the target's memory by
// glibc's x86-64 layout (pthread_mutex_t, pthread_rwlock_t of <pthread.h>: an ABI,
// the same in every glibc since 2.25) and the rules of glibc 2.36's nptl code about
// which of the lock's words a waiter sleeps on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/remote_addr.h"
#include "unwind/address_space.h"

namespace ukstack {

// What the lock says about its holder. Either owner (a tid, as the lock records it:
// not yet checked against the process's threads) or reason.
struct LockHolder {
  RemoteAddr lock;  // the lock's own address (a waiter's futex may be a word inside it)
  std::optional<int> owner;
  std::optional<std::string> reason;
  bool process_shared = false;  // its holder may be another process's thread
};

// A thread blocked in futex(futex, op, ...) under pthread_mutex_lock and friends:
// the futex is the mutex's __lock word, its first. The owner is __owner, or, for
// priority-inheritance and robust mutexes, the tid the kernel keeps in __lock.
LockHolder read_mutex_holder(const unwind::AddressSpace& memory, RemoteAddr futex);

// A thread blocked in futex(futex, op, expected, ...) under pthread_rwlock_rdlock
// (writer false) or _wrlock (writer true). glibc 2.36 puts readers to sleep on
// __wrphase_futex while a writer holds the lock (expected 1|FUTEX_USED) or on
// __readers (prefer-writer locks, expected has RWAITING), and writers on
// __writers_futex behind another writer (expected 1|FUTEX_USED) or on
// __wrphase_futex while readers hold it (expected FUTEX_USED): `expected` tells the
// word, so the lock's address. A writer holding it is __cur_writer; readers are
// not recorded by glibc, so a lock held for reading has a reason and no owner.
// nullopt when `expected` fits none of these (not an rwlock wait glibc makes).
std::optional<LockHolder> read_rwlock_holder(const unwind::AddressSpace& memory, RemoteAddr futex,
                                             std::uint32_t expected, bool writer);

}  // namespace ukstack
