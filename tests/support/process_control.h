// Test support for the "never hang, never disturb" tests: processes run in the
// background (ukstack while the test kills it or its target), waits with deadlines
// on them, and what /proc says about a process's threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fixture_process.h"

namespace ukstack::test {

// Fork/exec argv (looked up on PATH) in the background: stdin from /dev/null, stdout
// to `stdout_path` and stderr to `stderr_path` (each truncated; /dev/null when
// empty). The child gets default signal dispositions, an empty mask, and is killed
// if this process dies. Throws std::runtime_error if the program cannot be run.
ChildProcess start_background(const std::vector<std::string>& argv,
                              const std::string& stdout_path = {},
                              const std::string& stderr_path = {});

// Waits up to `deadline` for the child to end and reaps it. Returns the raw wait
// status; nullopt if it is still running at the deadline (then it is left as is).
std::optional<int> wait_for_exit(ChildProcess& child, std::chrono::milliseconds deadline);

// The thread ids in /proc/<pid>/task (empty if the process is gone).
std::vector<int> thread_ids(int pid);
// A numeric field of /proc/<tid>/status ("TracerPid", "voluntary_ctxt_switches",
// "PPid", ...); nullopt if the thread is gone or has no such field.
std::optional<long> status_field(int tid, const std::string& field);
// The whole of a small file (a /proc file); nullopt if it cannot be read.
std::optional<std::string> read_text_file(const std::string& path);

// A directory made with mkdtemp under $TMPDIR (or /tmp), mode 0755, removed with
// everything in it when this object dies.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ukstack::test
