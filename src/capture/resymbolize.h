// Names the user frames of saved snapshots from debug info on this machine
// (ukstack --input FILE --resymbolize): capture a stripped binary on one machine,
// name its frames on another. Each frame that recorded its module's build-id and
// its address in the module (Frame::build_id, module_offset) is looked up in the
// file with that build-id found here (unwind/build_id_symbolizer.h); a file with
// another build-id never names a frame.
#pragma once

#include <vector>

#include "base/result.h"
#include "model/snapshot.h"
#include "unwind/unwinder.h"

namespace ukstack {

struct ResymbolizeCounts {
  int frames = 0;    // physical frames with a build-id and a module offset
  int improved = 0;  // of those, given a name or a source line they lacked
};

// A frame named at capture keeps its name unless the lookup gives what it lacked
// (a name, or a source line): then its group (its inlined calls and itself) is
// replaced by the lookup's, as a capture with that debug info would have shown it.
// Threads' user halves, goroutines' stacks and their created_by are looked up.
// `options`: debug_dirs, debuginfod_budget and inlines apply.
Result<ResymbolizeCounts> resymbolize(std::vector<Snapshot>& snapshots,
                                      const unwind::UnwindOptions& options);

}  // namespace ukstack
