// A snapshot from a core file (ukstack --core CORE [--exe EXE] [--sysroot DIR]): user stacks, and
// the system call each thread was in as its saved registers show it (number, name
// and arguments; no file descriptors described), with the locks it waits for and
// their owners read from the core's memory (capture/waits/waits.h, without /proc). A core
// has no kernel stacks: each thread's kernel half is method "none" without an error.
#pragma once

#include <string>

#include "base/result.h"
#include "capture/options.h"
#include "model/snapshot.h"

namespace ukstack {

// `core_name` is a path or "-" (standard input), compressed or not (CoreInput).
// An Error when nothing could be read (see CoreInput::open and unwind::unwind_core)
// or a --tid names a thread the core does not have. Uses options.tids and
// options.unwind (max frames, inlines, debug dirs, sysroot, debuginfod budget);
// the stop options mean nothing here.
Result<Snapshot> capture_core(const std::string& core_name, const std::string& exe_path,
                              const CaptureOptions& options);

}  // namespace ukstack
