// /proc/locks: every file lock on the system, each granted lock followed by the
// requests blocked behind it ("->" lines, indented one more space per level when a
// request waits behind another request):
//   1: FLOCK  ADVISORY  WRITE 23009 fe:00:10953106 0 EOF
//   1: -> FLOCK  ADVISORY  WRITE 23013 fe:00:10953106 0 EOF
//   1:  -> FLOCK  ADVISORY  READ 23015 fe:00:10953106 0 EOF
//   2: OFDLCK ADVISORY  WRITE -1 00:2e:12345 0 99
// The device is major:minor in hex, the inode decimal. The pid is the locking
// process as /proc's PID namespace sees it: -1 for an open-file-description lock
// (it belongs to no process), 0 for a process outside that namespace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace ukstack::procfs {

struct FileLock {
  int depth = 0;     // 0: granted; 1 and more: a request blocked behind the lock above
  std::string kind;  // "FLOCK", "POSIX", "OFDLCK", "LEASE", "DELEG", ...
  std::string type;  // "READ", "WRITE", "UNLCK"
  int pid = 0;       // -1: an OFD lock; 0: a process in another PID namespace
  unsigned major = 0;
  unsigned minor = 0;
  std::uint64_t inode = 0;  // 0 with no file ("<none>")
  std::uint64_t start = 0;
  std::optional<std::uint64_t> end;  // nullopt: to the end of the file (EOF)
  bool blocked() const { return depth > 0; }
};

Result<std::vector<FileLock>> parse_file_locks(std::string_view text);

// The granted lock a blocked request ultimately waits behind: the nearest entry
// above `index` at depth 0 whose chain of blockers leads to it. nullopt when
// `index` is itself granted or the text is out of order.
std::optional<std::size_t> granted_blocker(const std::vector<FileLock>& locks, std::size_t index);

}  // namespace ukstack::procfs
