#include "base/thread_state.h"

namespace ukstack {

std::string_view thread_state_name(char state) {
  switch (state) {
    case 'R':
      return "running";
    case 'S':
      return "sleeping";
    case 'D':
      return "uninterruptible sleep";  // the kernel's "disk sleep": any D wait, not only I/O
    case 'T':
      return "stopped";
    case 't':
      return "tracing stop";
    case 'Z':
      return "zombie";
    case 'X':
    case 'x':
      return "exited";
    case 'I':
      return "idle";
    case 'P':
      return "parked";
    case 'K':
      return "wakekill";
    case 'W':
      return "waking";
    default:
      return "unknown";
  }
}

}  // namespace ukstack
