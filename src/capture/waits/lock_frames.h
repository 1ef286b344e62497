// Which lock, if any, a thread blocked in futex is taking, told by its user frames:
// glibc's pthread_mutex_* and pthread_rwlock_* entry points (C++'s std::mutex and
// std::shared_mutex call them) and __lll_lock_wait, read from the innermost frame.
#pragma once

#include <vector>

#include "model/snapshot.h"

namespace ukstack {

enum class LockCall { None, Mutex, RwlockRead, RwlockWrite };

// The innermost frame that names a lock entry point decides; glibc's futex helpers
// (and frames of libc that have no name it knows) are looked through; any other
// frame, such as pthread_cond_wait or a program's own futex call, means None: a
// condition variable's futex is not a lock anyone holds.
LockCall lock_call(const std::vector<Frame>& user_frames);

}  // namespace ukstack
