// What a process word on the command line (positional or -p) names: a PID, or the
// name of exactly one running process.
#pragma once

#include <string>
#include <string_view>

#include "procfs/source.h"

namespace ukstack {

struct ResolvedTarget {
  int pid = 0;          // > 0 when the word names one process
  std::string problem;  // otherwise: what to tell the user (a usage error, exit 64)
};

// A number is a PID (whether it runs is the capture's concern). Any other word is
// looked up as a process name (procfs/process_names.h), leaving out `self_pid`
// (ukstack itself): one match is that process, none or several are a problem; for
// several, the problem lists each pid and name, one per line, escaped.
ResolvedTarget resolve_target(std::string_view word, const procfs::ProcSource& proc, int self_pid);

}  // namespace ukstack
