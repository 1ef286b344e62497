// Groups: threads whose combined stacks are equal tell one story, told once
// (issue 10, part 1). Equal means the same system call, the same kernel functions
// and the same user functions and modules, in order; offsets, addresses and the
// system call's arguments may differ, and so may names and states.
#pragma once

#include <vector>

#include "model/snapshot.h"

namespace ukstack {

bool same_combined_stack(const Thread& a, const Thread& b);

// Every thread in exactly one group; groups largest first, equal sizes in the order
// of their first thread; tids within a group in the snapshot's order.
std::vector<ThreadGroup> group_threads(const Snapshot& snapshot);

// Goroutines with the same status, wait reason and frames (functions and modules,
// in order): 10,000 parked on one channel are one group. Largest first.
std::vector<GoroutineGroup> group_goroutines(const Snapshot& snapshot);

// Every frame in the runtime (runtime.*): the GC's workers, the finalizer, the
// scavenger. Go's own traceback hides these; so does the text, unless asked.
bool is_runtime_internal(const Goroutine& goroutine);

}  // namespace ukstack
