// A representative snapshot for renderer tests: a thread blocked in accept with its
// fd resolved, one running, one whose kernel stack needs root, one in an unknown
// system call with a kernel-module frame, one that exited.
#pragma once

#include "src/snapshot.h"

namespace ukstack::testing {

Snapshot sample_snapshot();

}  // namespace ukstack::testing
