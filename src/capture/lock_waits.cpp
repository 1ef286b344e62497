#include "capture/lock_waits.h"

namespace ukstack {

void find_lock_waits(Snapshot& snapshot, const unwind::AddressSpace& memory) {
  (void)snapshot;
  (void)memory;
}

}  // namespace ukstack
