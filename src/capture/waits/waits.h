// What each blocked thread waits for and who holds it (issue 10, part 3): lock
// owners read from the target's memory (live or core, the same code), the other
// ends of pipes and sockets, children and file locks from /proc. A holder that
// cannot be known is a wait with no holder and a reason; a capture never fails here.
#pragma once

#include "model/snapshot.h"
#include "procfs/source.h"
#include "unwind/address_space.h"

namespace ukstack {

struct WaitSources {
  const procfs::ProcSource* proc = nullptr;      // null for a core: no /proc
  const unwind::AddressSpace* memory = nullptr;  // null when the memory is unreadable
};

// Fills Thread::waits_for of the snapshot's blocked threads.
void find_waits(Snapshot& snapshot, const WaitSources& sources);

}  // namespace ukstack
