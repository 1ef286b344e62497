#include "tests/support/process_control.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace ukstack::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

ChildProcess start_background(const std::vector<std::string>& argv, const std::string& stdout_path,
                              const std::string& stderr_path) {
  auto output = [](const std::string& path) {
    return Output::file(path.empty() ? "/dev/null" : path);
  };
  return start_process(argv, output(stdout_path), output(stderr_path)).child;
}

void KillOnExit::kill_now() noexcept {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
  pid_ = -1;
}

std::optional<int> wait_for_exit(ChildProcess& child, std::chrono::milliseconds deadline) {
  if (child.pid() <= 0) return std::nullopt;
  const auto until = Clock::now() + deadline;
  for (;;) {
    // WNOWAIT: look without reaping, so the pid stays ours until child.wait().
    siginfo_t info{};
    const int rc =
        waitid(P_PID, static_cast<id_t>(child.pid()), &info, WEXITED | WNOHANG | WNOWAIT | __WALL);
    if (rc == 0 && info.si_pid == child.pid()) return child.wait();
    if (rc != 0 && errno != EINTR)
      return child.wait();  // not our child any more: reap what is there
    if (Clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool wait_while_running(const ChildProcess& child, std::chrono::milliseconds deadline,
                        const std::function<bool()>& condition) {
  if (child.pid() <= 0) return false;
  const auto until = Clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    siginfo_t info{};
    const int rc =
        waitid(P_PID, static_cast<id_t>(child.pid()), &info, WEXITED | WNOHANG | WNOWAIT | __WALL);
    if ((rc == 0 && info.si_pid == child.pid()) || (rc != 0 && errno != EINTR)) return false;
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

std::vector<std::string> open_files(int pid) {
  std::vector<std::string> targets;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
    std::error_code gone;  // the fd may be closed between the listing and the readlink
    const std::filesystem::path target = std::filesystem::read_symlink(entry.path(), gone);
    if (!gone) targets.push_back(target.string());
  }
  return targets;
}

std::vector<int> thread_ids(int pid) {
  std::vector<int> tids;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
    const std::string name = entry.path().filename();
    int tid = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), tid);
    if (ec == std::errc() && end == name.data() + name.size()) tids.push_back(tid);
  }
  return tids;
}

std::optional<long> status_field(int tid, const std::string& field) {
  auto text = read_text_file("/proc/" + std::to_string(tid) + "/status");
  if (!text) return std::nullopt;
  const std::string key = field + ":";
  for (size_t pos = 0; pos < text->size();) {
    size_t end = text->find('\n', pos);
    if (end == std::string::npos) end = text->size();
    std::string_view line(text->data() + pos, end - pos);
    if (line.starts_with(key)) {
      std::string_view value = line.substr(key.size());
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
      long number = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (ec != std::errc()) return std::nullopt;
      return number;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

int pid_not_in_use() {
  const std::optional<std::string> text = read_text_file("/proc/sys/kernel/pid_max");
  int pid_max = 0;
  if (!text ||
      std::from_chars(text->data(), text->data() + text->size(), pid_max).ec != std::errc() ||
      pid_max <= 1)
    throw std::runtime_error("cannot read /proc/sys/kernel/pid_max");
  if (::kill(pid_max, 0) == 0 || errno != ESRCH)
    throw std::runtime_error("pid " + std::to_string(pid_max) + " (pid_max) answers kill(pid, 0)");
  return pid_max;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/ukstack-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp: " + errno_text(errno));
  path_ = pattern;
  if (chmod(path_.c_str(), 0755) != 0) throw std::runtime_error("chmod: " + errno_text(errno));
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace ukstack::test
