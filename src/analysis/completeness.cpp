#include "analysis/completeness.h"

#include <algorithm>

namespace ukstack {

bool snapshot_complete(const Snapshot& snapshot) {
  const bool core = snapshot.source == SnapshotSource::Core;
  return std::ranges::all_of(snapshot.threads, [core](const Thread& t) {
    // A thread that exited during capture is reported, not held against the run.
    // A kernel thread has an empty user half without an error, which is complete.
    return t.state == "X" || ((core || !t.kernel.error) && !t.user.error);
  });
}

}  // namespace ukstack
