// The perf map of a live process: /tmp/perf-<pid>.map as the process wrote it, in
// its own file system (a container's /tmp) and under its own PID (its namespace's),
// opened as module files are (inside /proc/<pid>/root, regular files only, so a
// planted symlink or FIFO neither leads out of the target's root nor blocks us).
//
// Only a file of the process's own user is read (see refresh).
// Read once per capture session, when the first frame needs it; a later capture
// that needs it again reads only what the program appended since (the file only
// grows), and the whole file again if it shrank (the program started a new one).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/result.h"
#include "procfs/perf_map.h"

namespace ukstack {

// What was read of a file: its bytes from an offset on, the file's size then, and
// its owner.
struct FileTail {
  std::string bytes;
  std::uint64_t file_size = 0;
  std::uint32_t owner = 0;  // st_uid
};

// Reads `path` inside the root of process `pid` (/proc/<pid>/root) from `offset`
// to its end; nothing (only the size) when the file is larger than `max_size`.
// An Error with ENOENT when there is no such file, EINVAL when it is not a regular
// file.
using TargetFileReader = std::function<Result<FileTail>(
    int pid, const std::string& path, std::uint64_t offset, std::uint64_t max_size)>;

// The real one: openat2(RESOLVE_IN_ROOT) under /proc/<pid>/root (unwind/module_files.h).
Result<FileTail> read_target_file(int pid, const std::string& path, std::uint64_t offset,
                                  std::uint64_t max_size);

class TargetPerfMap {
 public:
  explicit TargetPerfMap(procfs::PerfMapLimits limits = {}) : limits_(limits) {}

  // Reads what is new in process `pid`'s map; `ns_pid` is its PID in its own PID
  // namespace (the name of its file), `uid` its effective user. A file that user
  // does not own is not read: in a process's /tmp anyone may put a symlink at that
  // name, to a file only we (root) may read, and its lines would be quoted in notes.
  void refresh(const TargetFileReader& read, int pid, int ns_pid, std::uint32_t uid);

  // Null when the process has no map, or none that could be used.
  const procfs::PerfMap* map() const { return map_ ? &*map_ : nullptr; }
  // One line when the map could not be read or used whole ("perf map
  // /tmp/perf-7.map: 2 malformed lines skipped (line 5: 'x')"); "" otherwise.
  std::string problem() const;
  // How many times the file was read (from its start or from where the last read
  // ended); for tests.
  int reads() const { return reads_; }

 private:
  void start_over();

  procfs::PerfMapLimits limits_;
  std::string path_;                    // in the target's root: "/tmp/perf-7.map"
  std::optional<procfs::PerfMap> map_;  // none until a file is read
  std::uint64_t used_ = 0;              // bytes of the file the map has parsed
  std::string read_problem_;            // why the file was not read
  int reads_ = 0;
};

}  // namespace ukstack
