#include "capture/waits/waits.h"

#include "capture/waits/lock_waits.h"
#include "capture/waits/object_waits.h"

namespace ukstack {

void find_waits(Snapshot& snapshot, const WaitSources& sources) {
  if (sources.memory != nullptr) find_lock_waits(snapshot, *sources.memory);
  if (sources.proc != nullptr) find_object_waits(snapshot, *sources.proc);
}

}  // namespace ukstack
