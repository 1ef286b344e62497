#include "src/snapshot.h"

#include <algorithm>

namespace ukstack {

bool snapshot_complete(const Snapshot& snapshot) {
  return std::ranges::all_of(snapshot.threads, [](const Thread& t) {
    // A thread that exited during capture is reported, not held against the run.
    // A kernel thread has an empty user half without an error, which is complete.
    return t.state == "X" || (!t.kernel.error && !t.user.error);
  });
}

}  // namespace ukstack
