// The goroutine list of the seed's Go accept server, read from the runtime's own
// data through LiveAddressSpace with layouts from the binary's DWARF: goroutine 1
// (main) is parked in Accept, "waiting" for "IO wait", as delve showed in the seed
// walkthrough. gdb's own Go support (the runtime-gdb.py that ships with Go, a test
// oracle that reads the same runtime structures its own way) must list the same
// goroutines with the same statuses.
#include "unwind/go_runtime.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "procfs/process_reader.h"
#include "tests/integration/capture_helpers.h"
#include "unwind/debug_types.h"
#include "unwind/dwfl_session.h"
#include "unwind/live_address_space.h"

namespace ukstack::test {
namespace {

namespace fs = std::filesystem;

const unwind::GoroutineInfo* find_goid(const unwind::GoroutineList& list, std::uint64_t goid) {
  for (const auto& goroutine : list.goroutines) {
    if (goroutine.goid == goid) return &goroutine;
  }
  return nullptr;
}

// The fixed-address executable Debian's Go links by default, and a PIE.
class GoRuntime : public ::testing::TestWithParam<bool> {};

INSTANTIATE_TEST_SUITE_P(Executables, GoRuntime, ::testing::Values(false, true),
                         [](const auto& pie) {
                           return pie.param ? std::string("Pie") : std::string("FixedAddress");
                         });

TEST_P(GoRuntime, TheMainGoroutineWaitsInAcceptForIO) {
#ifndef UKSTACK_HAVE_GO_FIXTURE
  GTEST_SKIP() << "go was not found when configuring: no Go fixture";
#else
  const bool pie = GetParam();
  const std::string exe = fixture_path(pie ? "accept_server_go_pie" : "accept_server_go");
  auto server = FixtureProcess::start({exe, "0"});
  procfs::RealProcSource proc;
  auto maps = procfs::ProcessReader(proc, server.pid()).maps();
  ASSERT_TRUE(maps.ok()) << maps.error().message;

  // A fixed-address executable has no bias; a PIE is moved (ASLR: never to 0).
  auto bias = unwind::executable_load_bias(exe, *maps);
  ASSERT_TRUE(bias.ok()) << bias.error().message;
  if (pie) {
    EXPECT_NE(*bias, 0u);
  } else {
    EXPECT_EQ(*bias, 0u);
  }
  auto layout = unwind::load_go_runtime_layout(exe, *bias);
  ASSERT_TRUE(layout.ok()) << layout.error().message;

  // The same addresses through the process's own Dwfl, whose are run-time ones.
  auto session =
      unwind::DwflSession::open_process(server.pid(), *maps, {}, std::chrono::milliseconds(0));
  ASSERT_TRUE(session.ok()) << session.error().message;
  auto live_layout = unwind::load_go_runtime_layout(unwind::DebugTypes((*session)->get()));
  ASSERT_TRUE(live_layout.ok()) << live_layout.error().message;
  EXPECT_EQ(live_layout->allgs, layout->allgs);
  EXPECT_EQ(live_layout->wait_reason_strings, layout->wait_reason_strings);

  // main prints ready just before Accept: read until it has parked there.
  unwind::LiveAddressSpace memory(server.pid());
  Result<unwind::GoroutineList> list = Error{0, "not read"};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const unwind::GoroutineInfo* main_goroutine = nullptr;
  do {
    list = unwind::read_goroutines(memory, *layout);
    ASSERT_TRUE(list.ok()) << list.error().message;
    main_goroutine = find_goid(*list, 1);
    ASSERT_NE(main_goroutine, nullptr) << list->goroutines.size() << " goroutines, notes "
                                       << ::testing::PrintToString(list->notes);
  } while (main_goroutine->wait_reason != "IO wait" && std::chrono::steady_clock::now() < deadline);

  EXPECT_TRUE(list->notes.empty()) << ::testing::PrintToString(list->notes);
  EXPECT_EQ(main_goroutine->status, "waiting");
  EXPECT_EQ(main_goroutine->wait_reason, "IO wait");
  EXPECT_TRUE(main_goroutine->notes.empty()) << ::testing::PrintToString(main_goroutine->notes);
  // Parked: off its thread, with the registers it left with saved.
  EXPECT_TRUE(main_goroutine->m.is_null());
  EXPECT_FALSE(main_goroutine->sched_pc.is_null());
  EXPECT_FALSE(main_goroutine->sched_sp.is_null());
  EXPECT_FALSE(main_goroutine->start_pc.is_null());

  // Every goroutine on an M names a thread of this process.
  std::set<int> tids;
  for (const auto& entry :
       fs::directory_iterator("/proc/" + std::to_string(server.pid()) + "/task")) {
    tids.insert(std::stoi(entry.path().filename().string()));
  }
  for (const auto& goroutine : list->goroutines) {
    SCOPED_TRACE("goroutine " + std::to_string(goroutine.goid));
    EXPECT_FALSE(goroutine.status.empty());
    if (goroutine.thread_id) {
      EXPECT_TRUE(tids.contains(*goroutine.thread_id));
    }
  }

  // gdb's Go support lists the same goroutines, with the same statuses.
  auto oracle = gdb_goroutines(server.pid());
  if (oracle.empty()) GTEST_SKIP() << "gdb's Go support (runtime-gdb.py) is not available";
  std::map<std::uint64_t, std::string> ours;
  for (const auto& goroutine : list->goroutines) ours[goroutine.goid] = goroutine.status;
  EXPECT_EQ(ours, oracle);
#endif
}

}  // namespace
}  // namespace ukstack::test
