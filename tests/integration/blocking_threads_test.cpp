// A multi-threaded C++ program (-O2, no frame pointers: only DWARF CFI unwinds it)
// whose threads block in pthread_cond_wait, read on a pipe, nanosleep and
// epoll_wait, each through a chain of named functions.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "tests/integration/capture_helpers.h"

namespace ukstack::test {
namespace {

constexpr long kRead = SYS_read;
constexpr long kFutex = SYS_futex;
constexpr long kNanosleep = SYS_nanosleep;
constexpr long kClockNanosleep = SYS_clock_nanosleep;
constexpr long kEpollWait = SYS_epoll_wait;
constexpr long kEpollPwait = SYS_epoll_pwait;

struct Role {
  const char* key;          // on the fixture's ready line
  const char* thread_name;  // set by the fixture with pthread_setname_np
  std::vector<long> syscalls;
  std::vector<std::string> syscall_names;
  std::vector<std::string> kernel_functions;  // one of these is on the path (names vary by version)
  std::vector<std::string> chain;             // user frames, innermost first
};

const std::vector<Role>& roles() {
  static const std::vector<Role> kRoles = {
      {"cond",
       "cond-waiter",
       {kFutex},
       {"futex"},
       {"futex_wait"},
       {"cond_wait_inner", "cond_wait_middle", "cond_wait_outer"}},
      {"pipe",
       "pipe-reader",
       {kRead},
       {"read"},
       {"pipe_read", "anon_pipe_read"},
       {"pipe_read_inner", "pipe_read_middle", "pipe_read_outer"}},
      {"sleep",
       "sleeper",
       {kNanosleep, kClockNanosleep},
       {"nanosleep", "clock_nanosleep"},
       {"hrtimer_nanosleep", "do_nanosleep"},
       {"sleep_inner", "sleep_middle", "sleep_outer"}},
      {"epoll",
       "epoll-waiter",
       {kEpollWait, kEpollPwait},
       {"epoll_wait", "epoll_pwait"},
       {"ep_poll", "do_epoll_wait"},
       {"epoll_wait_inner", "epoll_wait_middle", "epoll_wait_outer"}},
  };
  return kRoles;
}

bool kernel_has(const std::vector<std::string>& names, const std::vector<std::string>& wanted) {
  for (const auto& name : names) {
    if (std::find(wanted.begin(), wanted.end(), name) != wanted.end()) return true;
  }
  return false;
}

class BlockingThreads : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ =
        std::make_unique<FixtureProcess>(FixtureProcess::start({fixture_path("blocking_threads")}));
    for (const auto& role : roles()) {
      ASSERT_TRUE(wait_for_syscall(fixture_->id(role.key), role.syscalls, std::chrono::seconds(10)))
          << role.key << " thread never blocked";
    }
    ASSERT_TRUE(wait_for_syscall(fixture_->pid(), kFutex, std::chrono::seconds(10)));
  }
  std::unique_ptr<FixtureProcess> fixture_;
};

TEST_F(BlockingThreads, EveryThreadHasBothHalves) {
  auto snapshot = capture_json({std::to_string(fixture_->pid())});
  EXPECT_EQ(snapshot["threads"].size(), 5u);
  for (const auto& role : roles()) {
    SCOPED_TRACE(role.key);
    const auto* found = find_thread(snapshot, fixture_->id(role.key));
    ASSERT_NE(found, nullptr);
    const auto& thread = *found;
    EXPECT_EQ(thread["name"], role.thread_name);
    EXPECT_EQ(thread["state"], "S");
    ASSERT_TRUE(thread["syscall"].is_object());
    EXPECT_NE(std::find(role.syscall_names.begin(), role.syscall_names.end(),
                        thread["syscall"]["name"].get<std::string>()),
              role.syscall_names.end())
        << thread["syscall"]["name"];

    auto kernel = functions(thread, "kernel");
    EXPECT_TRUE(kernel_has(kernel, role.kernel_functions)) << ::testing::PrintToString(kernel);
    EXPECT_FALSE(contains_name(kernel, "ptrace_stop")) << "kernel half read after the stop";
    EXPECT_FALSE(contains_name(kernel, "get_signal"));
    EXPECT_TRUE(kernel_has(kernel, {"entry_SYSCALL_64_after_hwframe", "entry_SYSCALL_64"}));

    auto user = functions(thread, "user");
    EXPECT_TRUE(in_order(user, role.chain)) << ::testing::PrintToString(user);
    EXPECT_TRUE(thread["user"]["error"].is_null()) << thread["user"]["error"];
  }
  const auto* main_thread = find_thread(snapshot, fixture_->pid());
  ASSERT_NE(main_thread, nullptr);
  EXPECT_TRUE(
      in_order(functions(*main_thread, "user"), {"main_wait_inner", "main_wait_outer", "main"}))
      << ::testing::PrintToString(functions(*main_thread, "user"));
  expect_not_disturbed(fixture_->pid());
}

// One line of /proc/<tid>/stack ("[<0>] ep_poll+0x2a5/0x2e0 [module]") in the
// fields a snapshot's kernel frame has.
struct ProcStackLine {
  std::string function;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::string module;
  bool operator==(const ProcStackLine&) const = default;
};

std::ostream& operator<<(std::ostream& out, const ProcStackLine& line) {
  return out << line.function << "+" << std::hex << line.offset << "/" << line.size << std::dec
             << " [" << line.module << "]";
}

std::vector<ProcStackLine> read_proc_stack(int tid) {
  std::ifstream file("/proc/" + std::to_string(tid) + "/stack");
  static const std::regex kLine(
      R"(\[<[0-9a-f]+>\] (\S+)\+0x([0-9a-f]+)/0x([0-9a-f]+)(?: \[(\S+)\])?)");
  std::vector<ProcStackLine> lines;
  std::string text;
  while (std::getline(file, text)) {
    std::smatch match;
    if (!std::regex_match(text, match, kLine)) {
      ADD_FAILURE() << "not a /proc/<tid>/stack line: " << text;
      continue;
    }
    lines.push_back({match[1], std::stoull(match[2], nullptr, 16),
                     std::stoull(match[3], nullptr, 16), match[4]});
  }
  return lines;
}

std::vector<ProcStackLine> snapshot_kernel_half(const nlohmann::json& thread) {
  std::vector<ProcStackLine> lines;
  for (const auto& frame : thread["kernel"]["frames"]) {
    ProcStackLine line;
    if (frame["function"].is_string()) line.function = frame["function"];
    if (frame["offset"].is_string())
      line.offset = std::stoull(frame["offset"].get<std::string>(), nullptr, 16);
    if (frame["size"].is_string())
      line.size = std::stoull(frame["size"].get<std::string>(), nullptr, 16);
    if (frame["module"].is_string()) line.module = frame["module"];
    lines.push_back(line);
  }
  return lines;
}

// The kernel half is what /proc/<tid>/stack prints, function, offset, size and
// module, whichever engine read it: the BPF engine names the addresses itself
// (the kernel's %pB), so this is where a difference would show.
TEST_F(BlockingThreads, KernelHalvesAreWhatProcPrints) {
  for (const std::string engine : {"procfs", "bpf"}) {
    if (engine == "bpf" && bpf_unavailable()) continue;  // said by the BPF tests' skips
    SCOPED_TRACE("--engine " + engine);
    std::map<int, std::vector<ProcStackLine>> before;
    for (const auto& role : roles())
      before[fixture_->id(role.key)] = read_proc_stack(fixture_->id(role.key));
    auto snapshot =
        capture_json({"--engine", engine, "--stop", "none", std::to_string(fixture_->pid())});
    for (const auto& [tid, proc_lines] : before) {
      SCOPED_TRACE("thread " + std::to_string(tid));
      ASSERT_GE(proc_lines.size(), 3u) << "/proc/" << tid << "/stack is (nearly) empty";
      // Blocked all along: the same before and after, so the capture saw this stack.
      ASSERT_EQ(read_proc_stack(tid), proc_lines) << "the thread moved during the capture";
      const auto* thread = find_thread(snapshot, tid);
      ASSERT_NE(thread, nullptr);
      EXPECT_EQ((*thread)["kernel"]["method"], engine);
      EXPECT_EQ(snapshot_kernel_half(*thread), proc_lines);
    }
  }
}

TEST_F(BlockingThreads, FileDescriptorsAreDescribed) {
  auto snapshot = capture_json({std::to_string(fixture_->pid())});
  const auto* pipe_thread = find_thread(snapshot, fixture_->id("pipe"));
  ASSERT_NE(pipe_thread, nullptr);
  ASSERT_FALSE((*pipe_thread)["syscall"]["fds"].empty());
  EXPECT_EQ(
      (*pipe_thread)["syscall"]["fds"][0]["description"].get<std::string>().rfind("pipe:[", 0), 0u);

  const auto* epoll_thread = find_thread(snapshot, fixture_->id("epoll"));
  ASSERT_NE(epoll_thread, nullptr);
  ASSERT_FALSE((*epoll_thread)["syscall"]["fds"].empty());
  EXPECT_EQ((*epoll_thread)["syscall"]["fds"][0]["description"], "epoll");
}

TEST_F(BlockingThreads, DemangledCxxNamesWithSourceLines) {
  auto snapshot = capture_json({std::to_string(fixture_->pid())});
  const auto* thread = find_thread(snapshot, fixture_->id("cond"));
  ASSERT_NE(thread, nullptr);
  bool found = false;
  for (const auto& frame : (*thread)["user"]["frames"]) {
    if (frame["function"].is_string() &&
        frame["function"].get<std::string>().rfind("fixture::cond_wait_inner", 0) == 0) {
      found = true;
      ASSERT_TRUE(frame["file"].is_string());
      EXPECT_NE(frame["file"].get<std::string>().find("blocking_threads.cpp"), std::string::npos);
      EXPECT_GT(frame["line"].get<int>(), 0);
    }
  }
  EXPECT_TRUE(found) << ::testing::PrintToString(functions(*thread, "user"));
}

TEST_F(BlockingThreads, TidOptionSelectsThreads) {
  int sleeper = fixture_->id("sleep");
  auto snapshot = capture_json({"--tid", std::to_string(sleeper), std::to_string(fixture_->pid())});
  ASSERT_EQ(snapshot["threads"].size(), 1u);
  EXPECT_EQ(snapshot["threads"][0]["tid"], sleeper);
}

TEST_F(BlockingThreads, UserFramesAgreeWithGdb) {
  auto snapshot = capture_json({std::to_string(fixture_->pid())});
  Backtraces gdb = gdb_backtraces(fixture_->pid());
  EXPECT_EQ(gdb.size(), snapshot["threads"].size());
  for (const auto& thread : snapshot["threads"]) {
    int tid = thread["tid"].get<int>();
    SCOPED_TRACE("thread " + std::to_string(tid));
    ASSERT_TRUE(gdb.count(tid));
    auto ours = functions(thread, "user");
    expect_agrees_with_gdb(ours, gdb[tid]);
    SCOPED_TRACE("ukstack: " + ::testing::PrintToString(ours) +
                 "\ngdb: " + ::testing::PrintToString(gdb[tid]));
  }
}

}  // namespace
}  // namespace ukstack::test
