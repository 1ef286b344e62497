// Waits on kernel objects found through /proc: pipes and FIFOs (the processes
// holding the other end), unix sockets and loopback TCP connections (the peer
// process), wait4/waitid (the children), flock/fcntl locks (/proc/locks).
#pragma once

#include "model/snapshot.h"
#include "procfs/source.h"

namespace ukstack {

void find_object_waits(Snapshot& snapshot, const procfs::ProcSource& proc);

}  // namespace ukstack
