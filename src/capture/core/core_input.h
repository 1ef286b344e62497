// The core file a user named with --core: a plain ELF core is read where it is; a
// compressed one (zstd, lz4, xz, see core_decompression.h) and one read from
// standard input ("-") are first written, decompressed, into a memory file
// (memfd_create) that the core readers open as /proc/self/fd/N, since libelf and
// libdw map the core and read it at random.
//
// The memory file costs RAM (or swap) for the whole plain core while ukstack runs:
// a core of several GiB takes that much. Cores of hung servers are mostly
// smaller; a temporary file in $TMPDIR would trade that for disk and a file to
// clean up after a crash. The choice is said here so it can be revisited.
#pragma once

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "unwind/core_path.h"

namespace ukstack {

// What --core names standard input with.
inline constexpr const char* kCoreFromStdin = "-";

class CoreInput {
 public:
  // The core `name` names (a path, or "-"). An Error (one line, naming `name`)
  // when it cannot be read or its compressed data is corrupt or cut short. Which
  // compression it has is told by its first bytes, never by its name.
  static Result<CoreInput> open(const std::string& name);

  // Where the core readers open it, and the name every message gives it.
  const unwind::CorePath& path() const { return path_; }
  // True when it came from standard input (it has no file of its own).
  bool from_stdin() const { return from_stdin_; }

 private:
  CoreInput(unwind::CorePath path, UniqueFd memory_file, bool from_stdin)
      : path_(std::move(path)), memory_file_(std::move(memory_file)), from_stdin_(from_stdin) {}

  unwind::CorePath path_;
  UniqueFd memory_file_;  // holds the plain core while it is read (invalid: read in place)
  bool from_stdin_ = false;
};

}  // namespace ukstack
