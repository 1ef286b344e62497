// Test support: start fixture programs and wait for their `ready` line, wait on
// a thread's state in /proc, run commands with a timeout, and read gdb's view of a
// process for comparison. Every child started here is ended by its pid (SIGKILL +
// waitpid) on every path, and dies with the test process (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/unique_fd.h"

namespace ukstack::test {

// Owns a child process: the destructor kills it (SIGKILL) and reaps it.
class ChildProcess {
 public:
  ChildProcess() = default;
  explicit ChildProcess(pid_t pid) noexcept : pid_(pid) {}
  ChildProcess(ChildProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { kill_and_wait(); }

  pid_t pid() const noexcept { return pid_; }
  // Reap the child (waitpid by pid). Returns the raw wait status, -1 if none.
  int wait() noexcept;
  // SIGKILL then reap. Returns the raw wait status, -1 if there was no child.
  int kill_and_wait() noexcept;

 private:
  pid_t pid_ = -1;
};

// Where a started program's stdout or stderr goes.
struct Output {
  enum class Kind { Inherit, Pipe, File };
  Kind kind = Kind::Inherit;
  std::string path;  // Kind::File: created or truncated, mode 0644

  static Output inherit() { return {}; }  // the test's own stream
  static Output pipe() { return {Kind::Pipe, {}}; }
  static Output file(std::string path) { return {Kind::File, std::move(path)}; }
};

struct StartedProcess {
  ChildProcess child;
  UniqueFd out;  // read end of stdout when it is Output::pipe()
  UniqueFd err;  // read end of stderr when it is Output::pipe()
};

// The one fork/exec of the test support (fixtures, commands, background runs):
// argv[0] is a path or a name looked up on PATH; stdin is /dev/null. The child gets
// default signal dispositions and an empty signal mask, and is killed if this
// process dies (PR_SET_PDEATHSIG). Throws std::runtime_error if an output cannot be
// opened or the program cannot be run (the child is reaped first).
StartedProcess start_process(const std::vector<std::string>& argv, const Output& out,
                             const Output& err);

// A fixture program that has printed its `ready key=value ...` line.
class FixtureProcess {
 public:
  // Fork/exec argv (argv[0] is a path, or a name looked up on PATH) with stdout on
  // a pipe (stderr inherited) and read lines until one starts with "ready".
  // Throws std::runtime_error, with what was seen, if the program cannot be run,
  // exits, or prints no ready line by the deadline; the child is killed first.
  static FixtureProcess start(std::vector<std::string> argv,
                              std::chrono::milliseconds ready_deadline = std::chrono::seconds(10));

  FixtureProcess(FixtureProcess&&) noexcept = default;
  FixtureProcess& operator=(FixtureProcess&&) noexcept = default;
  ~FixtureProcess() = default;  // ChildProcess kills and reaps

  pid_t pid() const noexcept { return child_.pid(); }
  const std::string& ready_line() const noexcept { return ready_line_; }
  // The value of `key=` on the ready line; throws std::out_of_range if absent.
  const std::string& value(const std::string& key) const;
  // value(key) as an integer; throws std::invalid_argument if it is not one.
  int id(const std::string& key) const;
  // End the process now (SIGKILL + waitpid). Returns the raw wait status.
  int kill_and_wait() noexcept { return child_.kill_and_wait(); }

 private:
  FixtureProcess() = default;

  ChildProcess child_;
  UniqueFd stdout_;  // kept open so a late write cannot raise SIGPIPE in the fixture
  std::string ready_line_;
  std::map<std::string, std::string> fields_;
};

// The whole of a small file (a /proc file); nullopt if it cannot be read.
std::optional<std::string> read_text_file(const std::string& path);

// /proc/<tid>/syscall's first field: the system call number the thread is blocked
// in, -1 if blocked outside one; nullopt if it is running or the file is unreadable.
std::optional<long> current_syscall(int tid);
// The state letter of /proc/<tid>/stat (R, S, D, T, t, Z, ...); nullopt if gone.
std::optional<char> thread_state(int tid);

// Condition waits: check every 1 ms until true or the deadline passes.
bool wait_for_syscall(int tid, long nr, std::chrono::milliseconds deadline);
bool wait_for_syscall(int tid, const std::vector<long>& nrs, std::chrono::milliseconds deadline);
// True once the thread's state letter is one of `states` (e.g. "S" or "SD").
bool wait_for_state(int tid, std::string_view states, std::chrono::milliseconds deadline);

struct CommandResult {
  int exit_code = -1;  // exit status, or 128 + signal if killed by one
  std::string out, err;
  bool timed_out = false;  // killed (SIGKILL) because the timeout passed
};

// Fork/exec argv (looked up on PATH) with stdin from /dev/null and stdout/stderr
// captured. Throws std::runtime_error if the program cannot be run.
CommandResult run_command(std::vector<std::string> argv, std::chrono::milliseconds timeout);

// Per LWP, the function names of its frames as gdb prints them, innermost first
// (argument lists stripped, C++ names qualified: "fixture::cond_wait_inner").
using Backtraces = std::map<int, std::vector<std::string>>;

// Parses the output of gdb's `thread apply all bt`.
Backtraces parse_gdb_backtraces(std::string_view gdb_output);
// Runs `gdb -batch -nx -p PID -ex "set pagination off" -ex "thread apply all bt"`
// (60 s timeout). Throws std::runtime_error if gdb times out or shows no thread.
Backtraces gdb_backtraces(int pid);

}  // namespace ukstack::test
