#include "tests/support/go_crash.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <regex>

#include "tests/support/fixture_process.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

std::string core_pattern() {
  std::string pattern = read_text_file("/proc/sys/kernel/core_pattern").value_or("");
  while (!pattern.empty() && (pattern.back() == '\n' || pattern.back() == ' ')) pattern.pop_back();
  return pattern;
}

int ready_field(const std::string& ready, const std::string& key) {
  std::smatch match;
  if (!std::regex_search(ready, match, std::regex(" " + key + "=([0-9]+)"))) return 0;
  return std::stoi(match[1].str());
}

}  // namespace

std::string core_file_obstacle() {
  const std::string pattern = core_pattern();
  if (pattern.starts_with("|"))
    return "kernel.core_pattern pipes cores to a handler (" + pattern +
           "): only a machine-wide change of /proc/sys/kernel/core_pattern would write a file";
  if (pattern.starts_with("/"))
    return "kernel.core_pattern writes cores under an absolute path (" + pattern + ")";
  rlimit limit{};
  if (getrlimit(RLIMIT_CORE, &limit) == 0 && limit.rlim_max == 0)
    return "the hard RLIMIT_CORE is 0: no process may raise it";
  return {};
}

GoCrash crash_go_goroutines(const std::string& binary, int goroutines, const fs::path& dir) {
  const fs::path cwd = dir / "cwd";
  fs::create_directories(cwd);
  const std::string out = (dir / "stdout").string();
  const std::string err = (dir / "stderr").string();
  ChildProcess child =
      start_background({binary, "-crash", cwd.string(), std::to_string(goroutines)}, out, err);

  GoCrash crash;
  std::optional<int> status = wait_for_exit(child, std::chrono::minutes(2));
  if (!status) {
    crash.wait_status = child.kill_and_wait();
    crash.why = "it did not crash within two minutes";
  } else {
    crash.wait_status = *status;
  }
  const std::string printed = read_text_file(out).value_or("");
  crash.pid = ready_field(printed, "pid");
  crash.cgo_tid = ready_field(printed, "cgo_tid");
  crash.traceback = read_text_file(err).value_or("");
  if (!crash.why.empty()) return crash;
  if (!WIFSIGNALED(crash.wait_status) || WTERMSIG(crash.wait_status) != SIGABRT) {
    crash.why = "it did not die of SIGABRT (wait status " + std::to_string(crash.wait_status) +
                "): " + printed + crash.traceback.substr(0, 400);
    return crash;
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(cwd)) {
    if (entry.is_regular_file()) crash.core = entry.path().string();
  }
  if (crash.core.empty()) {
    const std::string obstacle = core_file_obstacle();
    crash.why = "no core in " + cwd.string() + ": " +
                (obstacle.empty() ? "core_pattern is '" + core_pattern() + "'" : obstacle);
  }
  return crash;
}

}  // namespace ukstack::test
