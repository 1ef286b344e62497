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
// A server captured with --samples 5, modelled on a real capture (Debian 12, glibc
// 2.36 frame names), with waits as the capture fills them: main in accept; 12
// workers in pthread_cond_wait; 4 workers waiting for a cache mutex that a flusher
// holds while it sleeps (a long wait, not a deadlock); two threads in an AB/BA
// deadlock; one reader in D state on NFS; a timer in a 20 ms epoll loop (waking).
// Not grouped and not analysed: tests call group_threads and fill_deadlocks.
Snapshot server_snapshot();

// A Go server, modelled on a capture of fixtures/go (Go 1.19): goroutine 1 parked in
// Accept (IO wait); three workers on one channel for 12 minutes, created by
// main.main; one goroutine running on thread 5003; two of the runtime's own (every
// frame in runtime.). Threads 5000-5002 are Go's, idle in the scheduler; goroutines
// grouped as group_goroutines would (largest first), read without a stop.
Snapshot go_snapshot();

}  // namespace ukstack::testing
