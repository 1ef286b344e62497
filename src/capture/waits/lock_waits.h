// Waits on pthread mutexes and rwlocks (and std::mutex, std::shared_mutex): the
// futex address from the system call's first argument, the owner from glibc's
// layout of the lock in the target's memory.
#pragma once

#include "model/snapshot.h"
#include "unwind/address_space.h"

namespace ukstack {

void find_lock_waits(Snapshot& snapshot, const unwind::AddressSpace& memory);

}  // namespace ukstack
