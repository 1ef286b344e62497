#include "capture/waits.h"

#include "capture/lock_waits.h"
#include "capture/object_waits.h"

namespace ukstack {

void find_waits(Snapshot& snapshot, const WaitSources& sources) {
  if (sources.memory != nullptr) find_lock_waits(snapshot, *sources.memory);
  if (sources.proc != nullptr) find_object_waits(snapshot, *sources.proc);
}

}  // namespace ukstack
