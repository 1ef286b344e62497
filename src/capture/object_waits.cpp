#include "capture/object_waits.h"

namespace ukstack {

void find_object_waits(Snapshot& snapshot, const procfs::ProcSource& proc) {
  (void)snapshot;
  (void)proc;
}

}  // namespace ukstack
