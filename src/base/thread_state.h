// The one table of thread-state names, for the letters /proc/<tid>/stat shows
// (and "X" for a thread that exited during a capture).
#pragma once

#include <string_view>

namespace ukstack {

// "running", "sleeping", "uninterruptible sleep", ...; "unknown" for a letter the
// table does not know.
std::string_view thread_state_name(char state);

}  // namespace ukstack
