// What the profile views (--format folded, --format pprof) count: which threads,
// and how many samples each thread's combined stack stands for.
#pragma once

#include "model/snapshot.h"

namespace ukstack {

// A thread that exited during the capture (state "X") had no stacks at that moment:
// it is left out of a profile.
bool in_profile(const Thread& thread);

// How many samples the thread's combined stack stands for. A snapshot holds the
// stacks of one capture; with --samples, the last one, and each thread's progress
// (analysis/progress.h). A stuck or waking thread was at this same place in every
// sample: it counts once per sample. A moving thread's earlier stacks are not kept,
// so it counts once, where the last sample saw it; so does a thread whose progress
// is unknown, and every thread of a snapshot taken without --samples. The counts
// never claim a stack that no sample saw.
int sample_weight(const Snapshot& snapshot, const Thread& thread);

}  // namespace ukstack
