// /proc/<pid>/fdinfo/<n>: "pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1234\n..."
// (ino: only since Linux 5.14). What is read here: the open file's access mode,
// which tells the read end of a pipe from its write end.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"

namespace ukstack::procfs {

enum class AccessMode { Read, Write, ReadWrite };

struct FdInfo {
  std::uint64_t flags = 0;  // open(2) flags, printed in octal by the kernel
  std::optional<std::uint64_t> inode;
  std::optional<int> pidfd_pid;  // a pidfd's "Pid:" line: the process it refers to
  AccessMode access() const;     // from flags & O_ACCMODE
  bool reads() const { return access() != AccessMode::Write; }
  bool writes() const { return access() != AccessMode::Read; }
};

// An error when there is no valid "flags:" line.
Result<FdInfo> parse_fdinfo(std::string_view text);

}  // namespace ukstack::procfs
