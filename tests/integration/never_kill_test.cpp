// ukstack killed (SIGKILL) or interrupted (SIGINT, SIGTERM, SIGHUP) at random moments
// during a --stop all capture of a 1,000-thread target (fixture thread_pool): the
// target always runs on, with no thread left stopped or traced and every thread
// back in the read(2) it was blocked in (issue 3, part 4). The random delays are
// the point of the test (drawn from a seeded generator, seed printed), not a way of
// waiting for something.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <iostream>
#include <random>
#include <thread>

#include <sys/wait.h>

#include "tests/integration/capture_helpers.h"
#include "tests/support/process_control.h"

namespace ukstack::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kThreads = 1000;
constexpr int kIterations = 20;
constexpr long kRead = 0;
constexpr long kPause = 34;

struct Param {
  int signal;
  const char* name;
};

class NeverKill : public ::testing::TestWithParam<Param> {};

TEST_P(NeverKill, TargetRunsOnWhateverTheMoment) {
  const Param param = GetParam();
  auto fixture = FixtureProcess::start({fixture_path("thread_pool"), std::to_string(kThreads)},
                                       std::chrono::seconds(30));
  const int pid = fixture.pid();
  const std::vector<int> tids = thread_ids(pid);
  ASSERT_EQ(tids.size(), static_cast<size_t>(kThreads + 1));
  for (int tid : tids) {
    ASSERT_TRUE(wait_for_syscall(tid, tid == pid ? kPause : kRead, std::chrono::seconds(10))) << tid;
  }

  // One whole capture first: it must finish, and its length bounds the delays.
  const auto start = Clock::now();
  CommandResult whole = run_ukstack({"--stop", "all", "--format", "json", std::to_string(pid)});
  const auto whole_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  std::cout << "[measure] ukstack --stop all on " << kThreads << " threads: " << whole_ms << " ms, exit "
            << whole.exit_code << "\n";
  ASSERT_FALSE(whole.timed_out);
  ASSERT_TRUE(whole.exit_code == 0 || whole.exit_code == 1) << "exit " << whole.exit_code << ": " << whole.err;
  expect_not_disturbed(pid);

  const unsigned seed = 20261127u + static_cast<unsigned>(param.signal);
  std::mt19937 random(seed);
  std::uniform_int_distribution<long> delay_ms(0, std::max<long>(1, whole_ms));
  int interrupted = 0;   // runs the signal reached before ukstack had finished
  int while_seized = 0;  // runs where a thread was seized by ukstack just before the signal
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    const long delay = delay_ms(random);
    SCOPED_TRACE("iteration " + std::to_string(iteration) + ", seed " + std::to_string(seed) + ", " +
                 param.name + " after " + std::to_string(delay) + " ms");
    ChildProcess ukstack =
        start_background({UKSTACK_BINARY, "--stop", "all", "--format", "json", std::to_string(pid)});
    std::this_thread::sleep_for(milliseconds(delay));
    // Only for the log: was ukstack holding the target at that moment?
    if (status_field(tids.back(), "TracerPid").value_or(0) == ukstack.pid()) ++while_seized;
    ::kill(ukstack.pid(), param.signal);
    const std::optional<int> status = wait_for_exit(ukstack, std::chrono::seconds(30));
    ASSERT_TRUE(status.has_value()) << "ukstack did not end within 30 s of " << param.name;
    if (WIFSIGNALED(*status) || (WIFEXITED(*status) && WEXITSTATUS(*status) > 2)) ++interrupted;
    EXPECT_FALSE(WIFSIGNALED(*status) && WTERMSIG(*status) != param.signal)
        << "ukstack died of " << strsignal(WTERMSIG(*status));

    // At once, with ukstack reaped: nothing stopped, nothing traced.
    int stopped = 0, traced = 0;
    for (int tid : tids) {
      const auto state = thread_state(tid);
      if (state == 't' || state == 'T') ++stopped;
      if (status_field(tid, "TracerPid").value_or(0) != 0) ++traced;
    }
    EXPECT_EQ(stopped, 0) << "threads left in t/T";
    EXPECT_EQ(traced, 0) << "threads still traced";
    // And every thread goes back to where it was blocked.
    int not_back = 0;
    for (int tid : tids) {
      if (!wait_for_state(tid, "S", std::chrono::seconds(5)) ||
          !wait_for_syscall(tid, tid == pid ? kPause : kRead, std::chrono::seconds(5)))
        ++not_back;
    }
    EXPECT_EQ(not_back, 0) << "threads not blocked where they were";
    ASSERT_EQ(thread_ids(pid).size(), tids.size()) << "the target lost threads";
  }
  std::cout << "[measure] " << param.name << ": " << kIterations << " runs, " << interrupted
            << " ended by the signal before finishing, " << while_seized
            << " sent while ukstack had the target seized, seed " << seed << "\n";
  expect_not_disturbed(pid);
}

INSTANTIATE_TEST_SUITE_P(Signals, NeverKill,
                         ::testing::Values(Param{SIGKILL, "SIGKILL"}, Param{SIGINT, "SIGINT"},
                                           Param{SIGTERM, "SIGTERM"}, Param{SIGHUP, "SIGHUP"}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace ukstack::test
