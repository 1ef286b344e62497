#include "tests/support/process_control.h"

#include <fcntl.h>
#include <sys/prctl.h>
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
  if (argv.empty()) throw std::invalid_argument("start_background: empty argv");
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const std::string out = stdout_path.empty() ? "/dev/null" : stdout_path;
  const std::string err = stderr_path.empty() ? "/dev/null" : stderr_path;

  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2: " + errno_text(errno));
  UniqueFd exec_r(exec_pipe[0]), exec_w(exec_pipe[1]);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork: " + errno_text(errno));
  if (pid == 0) {
    // Child: async-signal-safe calls only, until exec.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int e = 0;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
    const int in_fd = open("/dev/null", O_RDONLY);
    const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0 || dup2(in_fd, STDIN_FILENO) < 0 ||
        dup2(out_fd, STDOUT_FILENO) < 0 || dup2(err_fd, STDERR_FILENO) < 0) {
      e = errno;
      (void)!write(exec_w.get(), &e, sizeof e);
      _exit(127);
    }
    execvp(args[0], args.data());
    e = errno;
    (void)!write(exec_w.get(), &e, sizeof e);
    _exit(127);
  }
  ChildProcess child(pid);
  exec_w.reset();
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(exec_r.get(), &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    child.wait();
    throw std::runtime_error("cannot run " + argv[0] + ": " + errno_text(exec_errno));
  }
  return child;
}

std::optional<int> wait_for_exit(ChildProcess& child, std::chrono::milliseconds deadline) {
  if (child.pid() <= 0) return std::nullopt;
  const auto until = Clock::now() + deadline;
  for (;;) {
    // WNOWAIT: look without reaping, so the pid stays ours until child.wait().
    siginfo_t info{};
    const int rc = waitid(P_PID, static_cast<id_t>(child.pid()), &info, WEXITED | WNOHANG | WNOWAIT | __WALL);
    if (rc == 0 && info.si_pid == child.pid()) return child.wait();
    if (rc != 0 && errno != EINTR) return child.wait();  // not our child any more: reap what is there
    if (Clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

std::optional<std::string> read_text_file(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
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
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      long number = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (ec != std::errc()) return std::nullopt;
      return number;
    }
    pos = end + 1;
  }
  return std::nullopt;
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
