// A representative snapshot for renderer tests: a thread blocked in accept with its
// fd resolved, one running, one whose kernel stack needs root, one in an unknown
// system call with a kernel-module frame, one that exited.
#pragma once

#include "model/snapshot.h"

namespace ukstack::testing {

Snapshot sample_snapshot();

// A snapshot of a core file: two threads with user halves only (kernel method
// "none", no syscall, no state), the second cut short by an unwind error.
Snapshot core_snapshot();

// A live capture with every field of schema /2 set: two threads deadlocked over two
// mutexes (each the other's holder), the leader reading a pipe whose write end two
// other processes hold, a thread waiting on a mutex whose owner could not be trusted
// (no holder, a reason), a running thread; progress on each, groups, samples.
Snapshot waiting_snapshot();

}  // namespace ukstack::testing
