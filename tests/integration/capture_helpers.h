// Running the ukstack binary in integration tests and reading its JSON.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fixture_process.h"
#include "tests/support/process_control.h"

namespace ukstack::test {

std::string fixture_path(const std::string& name);

// Runs ukstack with args (30 s timeout: ukstack must never hang).
CommandResult run_ukstack(std::vector<std::string> args);

// Runs `ukstack --format json ARGS...`, checks the exit status is one of the
// allowed ones and that the output validates against the schema; returns the JSON.
nlohmann::json capture_json(std::vector<std::string> args, std::vector<int> allowed_exit = {0});

const nlohmann::json* find_thread(const nlohmann::json& snapshot, int tid);

// Why the BPF engine does not work on this machine (a kernel before 5.18, no BTF, a
// chroot without /sys, no CAP_BPF), as ukstack says it; nullopt where it works.
// Asked once, of ukstack itself (--engine bpf on this test process, --stop none).
// Tests of what only BPF gives skip with this reason.
std::optional<std::string> bpf_unavailable();

// Why no pseudo-terminal can be had here (a chroot without /dev/pts), nullopt where
// one can. Tests that give ukstack a terminal skip with this reason.
std::optional<std::string> pty_unavailable();

// Whether the thread's user half was had without stopping it: from a BPF record
// ("bpf") or from /proc and live memory ("nostop").
bool not_stopped(const nlohmann::json& thread);

// Function names of a half ("kernel" or "user"), innermost first.
std::vector<std::string> functions(const nlohmann::json& thread, const char* half);

// True when `wanted` appear in `names` in this order (not necessarily adjacent).
// A name matches when equal, or when the frame is a C++ function whose name
// without namespace and parameters equals it ("fixture::cond_wait_inner()").
bool in_order(const std::vector<std::string>& names, const std::vector<std::string>& wanted);
bool contains_name(const std::vector<std::string>& names, const std::string& wanted);

// glibc's aliases of one function reduced to one spelling ("__GI___libc_read" -> "read",
// "___pthread_cond_timedwait64" -> "pthread_cond_timedwait").
std::string alias_name(const std::string& name);

// ukstack's user frames agree with gdb's `bt` of the same thread: each of ours is
// one of gdb's, in order; gdb may add frames of tail calls (see the .cpp).
void expect_agrees_with_gdb(const std::vector<std::string>& ours,
                            const std::vector<std::string>& gdb);
// The same frames as gdb's `bt`, one for one (inlined calls included): for stacks
// without tail calls.
void expect_same_frames_as_gdb(const std::vector<std::string>& ours,
                               const std::vector<std::string>& gdb);

// True when `program` is on PATH (the test oracles and core makers are optional).
bool on_path(const std::string& program);

// A core of the running process `pid`, written into `dir` by gdb's gcore (the
// tool that makes cores here, not an oracle of what is in them; it detaches and
// leaves the process running). `path` is the core's, or empty and `why` says why.
struct Gcore {
  std::string path;
  std::string why;
};
Gcore make_gcore(int pid, const std::filesystem::path& dir);

// One gcore of a fixture for a whole test suite: made in SetUpTestSuite, removed
// with its directory in TearDownTestSuite; a test skips, saying why, when none was.
class SuiteGcore {
 public:
  // A temporary directory for the core and whatever the suite puts beside it.
  const std::filesystem::path& dir();
  // Starts `command` (to its ready line), gcores it into dir(), ends it by its pid.
  void make(const std::vector<std::string>& command);
  void fail(std::string why) { why_ = std::move(why); }
  void clear();
  bool made() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  const std::string& why() const { return why_; }

 private:
  std::unique_ptr<TempDir> dir_;
  std::string path_;
  std::string why_;
};

// The GNU build-id of an ELF file as hex (readelf -n), or "" when it has none.
std::string build_id(const std::string& path);

// goid → status of every goroutine of the Go process `pid`, as gdb's own Go
// support (runtime-gdb.py, shipped with Go) lists them: an oracle that reads the
// runtime its own way. Empty when gdb or that script is missing.
std::map<std::uint64_t, std::string> gdb_goroutines(int pid);

// Asserts the target was left as found: no thread stopped (t/T), no tracer.
void expect_not_disturbed(int pid);

}  // namespace ukstack::test
