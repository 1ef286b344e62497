#include "tests/support/fixture_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace ukstack::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(int err) { return std::strerror(err); }

// Milliseconds left until `until`, rounded up, for poll(2); 0 once past.
int poll_timeout(Clock::time_point until) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

std::pair<UniqueFd, UniqueFd> make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2: " + errno_text(errno));
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string describe_status(int status) {
  if (status < 0) return "not running";
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

// For one of the child's outputs: the descriptor the child gets (invalid: it keeps
// ours) and, for a pipe, the read end this process keeps.
std::pair<UniqueFd, UniqueFd> connect_output(const Output& output) {
  switch (output.kind) {
    case Output::Kind::Inherit:
      return {};
    case Output::Kind::Pipe: {
      auto [read_end, write_end] = make_pipe();
      return {std::move(write_end), std::move(read_end)};
    }
    case Output::Kind::File: {
      UniqueFd fd(open(output.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (!fd.valid())
        throw std::runtime_error("cannot open " + output.path + ": " + errno_text(errno));
      return {std::move(fd), UniqueFd()};
    }
  }
  throw std::invalid_argument("connect_output: unknown kind");
}

template <class Predicate>
bool wait_until(std::chrono::milliseconds deadline, Predicate done) {
  const auto until = Clock::now() + deadline;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_wait();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

int ChildProcess::wait() noexcept {
  if (pid_ <= 0) return -1;
  int status = -1;
  while (waitpid(pid_, &status, __WALL) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

int ChildProcess::kill_and_wait() noexcept {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGKILL);
  return wait();
}

StartedProcess start_process(const std::vector<std::string>& argv, const Output& out,
                             const Output& err) {
  if (argv.empty()) throw std::invalid_argument("start_process: empty argv");
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  UniqueFd in(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!in.valid()) throw std::runtime_error("cannot open /dev/null: " + errno_text(errno));
  auto [child_out, out_r] = connect_output(out);
  auto [child_err, err_r] = connect_output(err);
  auto [exec_r, exec_w] = make_pipe();  // carries errno if exec fails; EOF if it worked
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork: " + errno_text(errno));
  if (pid == 0) {
    // Child: async-signal-safe calls only, until exec. dup2 clears O_CLOEXEC on the copy.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
    if (dup2(in.get(), STDIN_FILENO) < 0 ||
        (child_out.valid() && dup2(child_out.get(), STDOUT_FILENO) < 0) ||
        (child_err.valid() && dup2(child_err.get(), STDERR_FILENO) < 0)) {
      int e = errno;
      (void)!write(exec_w.get(), &e, sizeof e);
      _exit(127);
    }
    execvp(args[0], args.data());
    int e = errno;
    (void)!write(exec_w.get(), &e, sizeof e);
    _exit(127);
  }

  StartedProcess started{ChildProcess(pid), std::move(out_r), std::move(err_r)};
  child_out.reset();
  child_err.reset();
  exec_w.reset();
  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(exec_r.get(), &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    started.child.wait();
    throw std::runtime_error("cannot run " + argv[0] + ": " + errno_text(exec_errno));
  }
  return started;
}

std::optional<std::string> read_text_file(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
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

FixtureProcess FixtureProcess::start(std::vector<std::string> argv,
                                     std::chrono::milliseconds ready_deadline) {
  StartedProcess started = start_process(argv, Output::pipe(), Output::inherit());
  FixtureProcess process;
  process.child_ = std::move(started.child);
  process.stdout_ = std::move(started.out);
  const pid_t pid = process.pid();

  auto fail = [&](const std::string& why, const std::string& seen) {
    const int status = process.kill_and_wait();
    return std::runtime_error("fixture " + argv[0] + " (pid " + std::to_string(pid) + ") " + why +
                              " (" + describe_status(status) + "); stdout so far: \"" + seen +
                              "\"");
  };

  const auto until = Clock::now() + ready_deadline;
  std::string seen;
  size_t line_start = 0;
  for (;;) {
    for (size_t end; (end = seen.find('\n', line_start)) != std::string::npos;
         line_start = end + 1) {
      std::string_view line(seen.data() + line_start, end - line_start);
      if (!line.starts_with("ready")) continue;
      process.ready_line_ = std::string(line);
      for (size_t pos = 0; pos < line.size();) {
        size_t stop = line.find(' ', pos);
        if (stop == std::string_view::npos) stop = line.size();
        std::string_view token = line.substr(pos, stop - pos);
        if (size_t eq = token.find('='); eq != std::string_view::npos)
          process.fields_[std::string(token.substr(0, eq))] = std::string(token.substr(eq + 1));
        pos = stop + 1;
      }
      if (process.fields_.contains("pid") && process.id("pid") != pid)
        throw fail("reported a different pid", seen);
      return process;
    }

    const int timeout = poll_timeout(until);
    if (timeout == 0)
      throw fail("printed no ready line within " + std::to_string(ready_deadline.count()) + " ms",
                 seen);
    pollfd pfd{process.stdout_.get(), POLLIN, 0};
    const int ready = poll(&pfd, 1, timeout);
    if (ready < 0 && errno != EINTR) throw fail("poll: " + errno_text(errno), seen);
    if (ready <= 0) continue;
    char buf[4096];
    const ssize_t n = read(process.stdout_.get(), buf, sizeof buf);
    if (n < 0 && errno != EINTR) throw fail("read: " + errno_text(errno), seen);
    if (n == 0) throw fail("closed stdout before its ready line", seen);
    if (n > 0) seen.append(buf, static_cast<size_t>(n));
  }
}

const std::string& FixtureProcess::value(const std::string& key) const {
  auto it = fields_.find(key);
  if (it == fields_.end())
    throw std::out_of_range("ready line has no '" + key + "=': " + ready_line_);
  return it->second;
}

int FixtureProcess::id(const std::string& key) const {
  const std::string& text = value(key);
  int result = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), result);
  if (ec != std::errc() || end != text.data() + text.size())
    throw std::invalid_argument("ready line value " + key + "=" + text + " is not an integer");
  return result;
}

std::optional<long> current_syscall(int tid) {
  auto text = read_text_file("/proc/" + std::to_string(tid) + "/syscall");
  if (!text) return std::nullopt;
  long nr = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), nr);
  if (ec != std::errc()) return std::nullopt;  // "running"
  return nr;
}

std::optional<char> thread_state(int tid) {
  auto text = read_text_file("/proc/" + std::to_string(tid) + "/stat");
  if (!text) return std::nullopt;
  // "tid (comm) S ...": comm may hold spaces and parentheses; the last ')' ends it.
  size_t paren = text->rfind(')');
  if (paren == std::string::npos || paren + 2 >= text->size()) return std::nullopt;
  return (*text)[paren + 2];
}

bool wait_for_syscall(int tid, long nr, std::chrono::milliseconds deadline) {
  return wait_for_syscall(tid, std::vector<long>{nr}, deadline);
}

bool wait_for_syscall(int tid, const std::vector<long>& nrs, std::chrono::milliseconds deadline) {
  return wait_until(deadline, [&] {
    std::optional<long> nr = current_syscall(tid);
    return nr && std::find(nrs.begin(), nrs.end(), *nr) != nrs.end();
  });
}

bool wait_for_state(int tid, std::string_view states, std::chrono::milliseconds deadline) {
  return wait_until(deadline, [&] {
    std::optional<char> state = thread_state(tid);
    return state && states.find(*state) != std::string_view::npos;
  });
}

CommandResult run_command(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  StartedProcess spawned = start_process(argv, Output::pipe(), Output::pipe());
  CommandResult result;
  const auto until = Clock::now() + timeout;
  std::array<pollfd, 2> fds{{{spawned.out.get(), POLLIN, 0}, {spawned.err.get(), POLLIN, 0}}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    const int left = poll_timeout(until);
    if (left == 0) {
      result.timed_out = true;
      break;
    }
    const int ready = poll(fds.data(), fds.size(), left);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw std::runtime_error("poll: " + errno_text(errno));
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[65536];
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;  // EOF: poll ignores negative fds
        --open_fds;
      }
    }
  }
  const int status = result.timed_out ? spawned.child.kill_and_wait() : spawned.child.wait();
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.exit_code = 128 + WTERMSIG(status);
  return result;
}

}  // namespace ukstack::test
