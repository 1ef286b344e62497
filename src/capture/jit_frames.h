// JIT-compiled code in a live process's user stacks, named from the program's perf
// map (perf_map_file.h): a frame in anonymous executable memory that no symbol
// names gets the map's name, its offset in that code, language jit and no module.
// Where the map does not cover the frame it stays unnamed.
#pragma once

#include <vector>

#include "capture/perf_map_file.h"
#include "model/snapshot.h"
#include "procfs/maps.h"

namespace ukstack {

// Whether the thread's user half has a frame in anonymous executable memory with no
// name: JIT code, for the perf map to name. `maps`: the process's, by address.
bool has_unnamed_jit_code(const Thread& thread, const std::vector<procfs::Mapping>& maps);

// Names those frames from `perf_map`. When the map could not be read or used whole,
// one note on the thread (only on threads with such frames).
void name_jit_frames(Thread& thread, const TargetPerfMap& perf_map,
                     const std::vector<procfs::Mapping>& maps);

}  // namespace ukstack
