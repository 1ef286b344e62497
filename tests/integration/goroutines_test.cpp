// The walkthrough's ending, in one command: `ukstack PID` of the seed's Go accept
// server shows goroutine 1 parked in net.(*TCPListener).Accept, waiting for "IO
// wait", beside the threads in epoll_pwait and futex waits, each Go thread with the
// goroutine it runs (or idle). In auto nothing is stopped and the read is checked;
// --stop all reads at one instant; a gcore of the same process shows the same.
// gdb's own Go support lists the same goroutine ids (an oracle reading the runtime
// its own way).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "tests/integration/capture_helpers.h"

namespace ukstack::test {
namespace {

const nlohmann::json* find_goroutine(const nlohmann::json& snapshot, std::uint64_t goid) {
  for (const auto& goroutine : snapshot["goroutines"]) {
    if (goroutine["goid"] == goid) return &goroutine;
  }
  return nullptr;
}

std::vector<std::string> goroutine_functions(const nlohmann::json& goroutine) {
  std::vector<std::string> names;
  for (const auto& frame : goroutine["frames"]) {
    names.push_back(frame["function"].is_string() ? frame["function"].get<std::string>() : "??");
  }
  return names;
}

// main prints ready just before Accept: capture until goroutine 1 has parked there
// (the real state, polled with a deadline).
nlohmann::json capture_parked(int pid, const std::vector<std::string>& options) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::vector<std::string> args = options;
    args.push_back(std::to_string(pid));
    nlohmann::json snapshot = capture_json(args);
    const nlohmann::json* main_goroutine = find_goroutine(snapshot, 1);
    if ((main_goroutine != nullptr && (*main_goroutine)["wait_reason"] == "IO wait") ||
        std::chrono::steady_clock::now() > deadline) {
      return snapshot;
    }
  }
}

void expect_main_goroutine_in_accept(const nlohmann::json& snapshot) {
  const nlohmann::json* main_goroutine = find_goroutine(snapshot, 1);
  ASSERT_NE(main_goroutine, nullptr) << snapshot["goroutine_notes"].dump();
  EXPECT_EQ((*main_goroutine)["status"], "waiting");
  EXPECT_EQ((*main_goroutine)["wait_reason"], "IO wait");
  EXPECT_TRUE((*main_goroutine)["tid"].is_null());  // parked: on no thread
  const auto names = goroutine_functions(*main_goroutine);
  EXPECT_TRUE(in_order(names, {"runtime.gopark", "internal/poll.runtime_pollWait",
                               "net.(*TCPListener).Accept", "main.main", "runtime.main"}))
      << ::testing::PrintToString(names);
  EXPECT_EQ(names.front(), "runtime.gopark");
  EXPECT_EQ(names.back(), "runtime.goexit");  // where Go's own traceback ends
  EXPECT_TRUE((*main_goroutine)["error"].is_null()) << (*main_goroutine)["error"];
}

class GoServerGoroutines : public ::testing::TestWithParam<const char*> {};

INSTANTIATE_TEST_SUITE_P(StopModes, GoServerGoroutines, ::testing::Values("auto", "all"),
                         [](const auto& mode) { return std::string(mode.param); });

TEST_P(GoServerGoroutines, MainGoroutineParkedInAcceptBesideTheThreads) {
#ifndef UKSTACK_HAVE_GO_FIXTURE
  GTEST_SKIP() << "go was not found when configuring: no Go fixture";
#else
  const std::string mode = GetParam();
  auto server = FixtureProcess::start({fixture_path("accept_server_go"), "0"});
  const nlohmann::json snapshot = capture_parked(server.pid(), {"--stop", mode});
  expect_main_goroutine_in_accept(snapshot);
  EXPECT_EQ(snapshot["goroutines_read"], mode == "all" ? "stopped" : "no-stop-checked");
  EXPECT_FALSE(snapshot.contains("goroutine_notes")) << snapshot["goroutine_notes"].dump();

  // The threads beside it: one in epoll_pwait (the netpoller), every one Go's.
  bool in_epoll = false;
  for (const auto& thread : snapshot["threads"]) {
    SCOPED_TRACE("thread " + thread["tid"].dump());
    EXPECT_TRUE(thread.contains("goroutine"));
    if (thread["syscall"].is_object() && thread["syscall"]["name"] == "epoll_pwait") {
      in_epoll = true;
    }
    // auto stops no blocked thread to read either half or the goroutines.
    if (mode == "auto") {
      EXPECT_TRUE(not_stopped(thread)) << thread["user"]["method"];
    }
  }
  EXPECT_TRUE(in_epoll);
  // Grouped: the main goroutine is a group of its own, and every goroutine is in one.
  std::set<std::uint64_t> grouped;
  for (const auto& group : snapshot["goroutine_groups"]) {
    for (const auto& goid : group["goids"]) grouped.insert(goid.get<std::uint64_t>());
  }
  EXPECT_EQ(grouped.size(), snapshot["goroutines"].size());
  expect_not_disturbed(server.pid());

  // The same goroutines as gdb's Go support lists.
  auto oracle = gdb_goroutines(server.pid());
  if (oracle.empty()) GTEST_SKIP() << "gdb's Go support (runtime-gdb.py) is not available";
  std::set<std::uint64_t> theirs;
  for (const auto& [goid, status] : oracle) theirs.insert(goid);
  std::set<std::uint64_t> ours;
  for (const auto& goroutine : snapshot["goroutines"])
    ours.insert(goroutine["goid"].get<std::uint64_t>());
  EXPECT_EQ(ours, theirs);
#endif
}

TEST(GoServerGoroutines, TextShowsTheMainGoroutineInAccept) {
#ifndef UKSTACK_HAVE_GO_FIXTURE
  GTEST_SKIP() << "go was not found when configuring: no Go fixture";
#else
  auto server = FixtureProcess::start({fixture_path("accept_server_go"), "0"});
  capture_parked(server.pid(), {});
  const CommandResult text = run_ukstack({std::to_string(server.pid())});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Goroutine 1 [IO wait]"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("1 × IO wait ← net.(*TCPListener).Accept ← main.main — goroutine 1"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("[Go scheduler: idle]"), std::string::npos);
#endif
}

// A core of the same process (gcore) gives the same goroutine 1, read by the same
// code from the core's memory, unwound over the core's modules.
TEST(GoServerGoroutines, TheSameFromACore) {
#ifndef UKSTACK_HAVE_GO_FIXTURE
  GTEST_SKIP() << "go was not found when configuring: no Go fixture";
#else
  if (!on_path("gcore")) GTEST_SKIP() << "gcore (gdb) is not installed";
  const std::string exe = fixture_path("accept_server_go");
  auto server = FixtureProcess::start({exe, "0"});
  const nlohmann::json live = capture_parked(server.pid(), {});
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / ("go-core-" + std::to_string(server.pid()));
  std::filesystem::create_directories(dir);
  const Gcore core = make_gcore(server.pid(), dir);
  ASSERT_FALSE(core.path.empty()) << core.why;
  const nlohmann::json from_core = capture_json({"--core", core.path, "--exe", exe});
  std::filesystem::remove_all(dir);

  EXPECT_EQ(from_core["goroutines_read"], "core");
  expect_main_goroutine_in_accept(from_core);
  ASSERT_NE(find_goroutine(live, 1), nullptr);
  EXPECT_EQ(goroutine_functions(*find_goroutine(from_core, 1)),
            goroutine_functions(*find_goroutine(live, 1)));
  EXPECT_EQ(from_core["goroutines"].size(), live["goroutines"].size());
#endif
}

}  // namespace
}  // namespace ukstack::test
