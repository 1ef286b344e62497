// Folded stacks (--format folded): the text FlameGraph's stackcollapse-perf.pl writes
// and flamegraph.pl, inferno and speedscope read. One line per distinct combined
// stack, "frame;frame;...;frame COUNT", frames root-first:
//   the thread's name (the root, as perf's comm is),
//   the user frames from the outermost to the innermost,
//   the kernel frames from the system-call entry to the innermost, each "_[k]".
// Inlined calls are frames of their own, marked "_[i]" (flamegraph.pl colours both
// marks); a frame without a function name is "[libfoo.so]" (its module's file
// name) or "[unknown]", as stackcollapse-perf.pl names them. Names are escaped as
// the text view escapes them (render/escape.h) and a ';' in a name is written
// "\x3b", so no name can end a frame or a line; spaces stay (readers take the count
// after the last space). COUNT: the threads with that stack, each counted
// sample_weight times (render/profile_weight.h). Lines sorted, as stackcollapse-perf.pl
// sorts them. Several processes: their lines together, one picture.
#pragma once

#include <span>
#include <string>

#include "model/snapshot.h"

namespace ukstack {

std::string render_folded(std::span<const Snapshot> snapshots);

}  // namespace ukstack
