// The seed article's Go accept server. Its goroutine waiting in Accept is parked;
// the threads are the runtime's: one in epoll_pwait (netpoll), the others in futex
// waits. A user expects both halves for each, with Go function names.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include "tests/integration/capture_helpers.h"

namespace ukstack::test {
namespace {

constexpr long kFutex = SYS_futex;
constexpr long kEpollWait = SYS_epoll_wait;
constexpr long kEpollPwait = SYS_epoll_pwait;

bool any_prefix(const std::vector<std::string>& names, const std::string& prefix) {
  for (const auto& name : names) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(GoAcceptServer, EveryThreadHasBothHalvesWithGoNames) {
#ifndef UKSTACK_HAVE_GO_FIXTURE
  GTEST_SKIP() << "go was not found when configuring: no Go fixture";
#else
  auto server = FixtureProcess::start({fixture_path("accept_server_go"), "0"});
  // The runtime parks its netpoller thread in epoll_pwait once main blocks in Accept.
  ASSERT_TRUE(wait_for_syscall(server.pid(), std::vector<long>{kEpollWait, kEpollPwait, kFutex},
                               std::chrono::seconds(10)));
  auto snapshot = capture_json({std::to_string(server.pid())}, {0, 1});
  ASSERT_GE(snapshot["threads"].size(), 2u);

  bool saw_netpoll_thread = false;
  for (const auto& thread : snapshot["threads"]) {
    SCOPED_TRACE("thread " + std::to_string(thread["tid"].get<int>()));
    auto kernel = functions(thread, "kernel");
    auto user = functions(thread, "user");
    EXPECT_FALSE(kernel.empty());
    EXPECT_FALSE(contains_name(kernel, "ptrace_stop"));
    ASSERT_FALSE(user.empty());
    // Every thread is inside the Go runtime, and the names are Go's own.
    EXPECT_TRUE(any_prefix(user, "runtime.")) << ::testing::PrintToString(user);
    // Every Go frame carries file:line from Go's DWARF (which has no .debug_aranges),
    // and the names are gdb's: without the linker's ".abi0" suffix.
    for (const auto& frame : thread["user"]["frames"]) {
      std::string function =
          frame["function"].is_string() ? frame["function"].get<std::string>() : "";
      SCOPED_TRACE(function);
      EXPECT_FALSE(function.ends_with(".abi0"));
      if (function.rfind("runtime.", 0) != 0) continue;
      ASSERT_TRUE(frame["file"].is_string());
      std::string file = frame["file"];
      EXPECT_TRUE(file.ends_with(".go") || file.ends_with(".s")) << file;
      ASSERT_TRUE(frame["line"].is_number());
      EXPECT_GT(frame["line"].get<int>(), 0);
      if (function == "runtime.netpoll") {
        EXPECT_TRUE(file.ends_with("/runtime/netpoll_epoll.go")) << file;
      }
      if (function == "runtime.futex") {
        EXPECT_TRUE(file.ends_with("/runtime/sys_linux_amd64.s")) << file;
      }
    }
    if (thread["syscall"].is_object() &&
        (thread["syscall"]["name"] == "epoll_pwait" || thread["syscall"]["name"] == "epoll_wait")) {
      saw_netpoll_thread = true;
      EXPECT_TRUE(contains_name(kernel, "ep_poll") || contains_name(kernel, "do_epoll_wait"))
          << ::testing::PrintToString(kernel);
      EXPECT_TRUE(in_order(user, {"runtime.netpoll", "runtime.findRunnable"}))
          << ::testing::PrintToString(user);
      ASSERT_FALSE(thread["syscall"]["fds"].empty());
      EXPECT_EQ(thread["syscall"]["fds"][0]["description"], "epoll");
    }
    if (thread["syscall"].is_object() && thread["syscall"]["name"] == "futex") {
      EXPECT_TRUE(any_prefix(user, "runtime.futex")) << ::testing::PrintToString(user);
    }
  }
  EXPECT_TRUE(saw_netpoll_thread);
  expect_not_disturbed(server.pid());
#endif
}

}  // namespace
}  // namespace ukstack::test
