#include "render/profile_weight.h"

namespace ukstack {

bool in_profile(const Thread& thread) { return thread.state != "X"; }

int sample_weight(const Snapshot& snapshot, const Thread& thread) {
  if (!snapshot.samples || snapshot.samples->count < 1) return 1;
  const bool same_place_throughout =
      thread.progress == Progress::Stuck || thread.progress == Progress::Waking;
  return same_place_throughout ? snapshot.samples->count : 1;
}

}  // namespace ukstack
