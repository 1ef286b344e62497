// A snapshot from a core file (ukstack --core CORE [--exe EXE]): user stacks only.
// A core has no kernel stacks and no system-call state: each thread's kernel half
// is method "none" without an error, and its syscall is null.
#pragma once

#include <string>

#include "base/result.h"
#include "capture/options.h"
#include "model/snapshot.h"

namespace ukstack {

// An Error when nothing could be read (see unwind::unwind_core) or a --tid names a
// thread the core does not have. Uses options.tids and options.unwind (max frames,
// inlines, debug dirs, debuginfod budget); the stop options mean nothing here.
Result<Snapshot> capture_core(const std::string& core_path, const std::string& exe_path,
                              const CaptureOptions& options);

}  // namespace ukstack
