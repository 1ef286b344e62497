// Whether a capture got everything it could: the exit status (0 or 1) follows it.
#pragma once

#include "model/snapshot.h"

namespace ukstack {

// Both halves of every thread present and complete (exit status 0 vs 1). A core
// has no kernel halves: only its user halves count.
bool snapshot_complete(const Snapshot& snapshot);

}  // namespace ukstack
