// May the caller trace a process? BPF reads any process its loader's capabilities
// allow, without ptrace's checks; ukstack shows only what its caller could ptrace.
#pragma once

#include "base/result.h"

namespace ukstack {

// Checked as the kernel checks it: opening /proc/<pid>/mem needs
// PTRACE_MODE_ATTACH (uid, capabilities, Yama's ptrace_scope, dumpable).
Status may_trace(int pid);

}  // namespace ukstack
