// Waits on kernel objects found through /proc: pipes and FIFOs (the processes
// holding the other end), unix sockets and loopback TCP connections (the peer
// process), wait4/waitid (the children), flock/fcntl locks (/proc/locks).
#pragma once

#include "capture/waits/other_end_waits.h"
#include "model/snapshot.h"
#include "procfs/source.h"
#include "procfs/unix_peers.h"

namespace ukstack {

// Appends to Thread::waits_for of the snapshot's blocked threads; asks the kernel
// for unix socket peers through sock_diag.
void find_object_waits(Snapshot& snapshot, const procfs::ProcSource& proc);

// The same through a given peer source (a fake in tests). Returns what the scan of
// every process's descriptors cost (no scan when no thread waits on a pipe, FIFO or
// socket).
OtherEndScan find_object_waits(Snapshot& snapshot, const procfs::ProcSource& proc,
                               const procfs::UnixPeerSource& unix_peers);

}  // namespace ukstack
