// Test support for the "never hang, never disturb" tests: processes run in the
// background (ukstack while the test kills it or its target), waits with deadlines
// on them, and what /proc says about a process's threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fixture_process.h"

namespace ukstack::test {

// start_process() in the background: stdout to `stdout_path` and stderr to
// `stderr_path` (each truncated; /dev/null when empty). Throws std::runtime_error if
// the program cannot be run.
ChildProcess start_background(const std::vector<std::string>& argv,
                              const std::string& stdout_path = {},
                              const std::string& stderr_path = {});

// Waits up to `deadline` for the child to end and reaps it. Returns the raw wait
// status; nullopt if it is still running at the deadline (then it is left as is).
std::optional<int> wait_for_exit(ChildProcess& child, std::chrono::milliseconds deadline);

// Checks `condition` about every 100 us while `child` runs: true once it holds; false
// if the child ended first (it is not reaped: see wait_for_exit) or at the deadline.
// For moments inside another program's run that last milliseconds, such as ukstack
// holding its target seized.
bool wait_while_running(const ChildProcess& child, std::chrono::milliseconds deadline,
                        const std::function<bool()>& condition);

// What /proc/<pid>/fd/* point at (readlink): "/proc/42/task/43" for a directory a
// process holds open, "pipe:[...]", paths. Empty if the process is gone.
std::vector<std::string> open_files(int pid);

// Kills (SIGKILL) a process that is not our child, by its pid, when this object dies
// or on kill_now(): the child of a fixture (a vfork child the fixture's parent
// cannot reap while it waits in vfork). Declare it after the fixture that owns the
// parent, so it dies first and the pid cannot be reused while we hold it. The fixtures
// also give such children PR_SET_PDEATHSIG.
class KillOnExit {
 public:
  explicit KillOnExit(pid_t pid) noexcept : pid_(pid) {}
  KillOnExit(const KillOnExit&) = delete;
  KillOnExit& operator=(const KillOnExit&) = delete;
  ~KillOnExit() { kill_now(); }
  void kill_now() noexcept;

 private:
  pid_t pid_;
};

// The thread ids in /proc/<pid>/task (empty if the process is gone).
std::vector<int> thread_ids(int pid);
// A numeric field of /proc/<tid>/status ("TracerPid", "voluntary_ctxt_switches",
// "PPid", ...); nullopt if the thread is gone or has no such field.
std::optional<long> status_field(int tid, const std::string& field);

// A pid that no process has, for "no such process" tests: /proc/sys/kernel/pid_max
// (the kernel hands out pids below it, so this one cannot be taken while the test
// runs). Throws std::runtime_error if pid_max cannot be read or the pid answers.
int pid_not_in_use();

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
